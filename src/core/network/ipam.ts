import { createHash } from 'node:crypto';
import { NovaError } from '../../shared/errors.js';

// Addresses: subnet arithmetic, DHCP ranges, and static reservations per owner that survive
// detach and restarts (an owner keeps its IP and MAC; the oldest detached one is reused only
// when the subnet is full).

export const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
export const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export interface Subnet {
  gateway: string;
  prefix: number;
  network: number;
  broadcast: number;
  cidr: string; // network/prefix
}

export function parseSubnet(gatewayCidr: string): Subnet {
  const [gw, len] = gatewayCidr.split('/') as [string, string];
  const prefix = Number(len);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(ipToInt(gw) / size) * size;
  return { gateway: gw, prefix, network, broadcast: network + size - 1, cidr: `${intToIp(network)}/${prefix}` };
}

export const inSubnet = (s: Subnet, ip: string): boolean => {
  const n = ipToInt(ip);
  return n > s.network && n < s.broadcast;
};

export const overlaps = (a: Subnet, b: Subnet): boolean => a.network <= b.broadcast && b.network <= a.broadcast;

export function parseRange(range: string): [string, string] {
  const [a, b] = range.split('-') as [string, string];
  return [a, b];
}

/** Checks a range against its subnet; the message names the field and the fix. */
export function checkRange(s: Subnet, range: string): void {
  const [a, b] = parseRange(range);
  const hint = `use addresses inside ${s.cidr}, e.g. "${intToIp(s.network + 50)}-${intToIp(Math.min(s.broadcast - 1, s.network + 150))}"`;
  if (!inSubnet(s, a) || !inSubnet(s, b)) throw new NovaError('INVALID_INPUT', `dhcp_range ${range} is outside the subnet ${s.cidr}: ${hint}`, { field: 'dhcp_range' });
  if (ipToInt(a) > ipToInt(b)) throw new NovaError('INVALID_INPUT', `dhcp_range ${range} ends before it starts: write the lower address first`, { field: 'dhcp_range' });
  const gw = ipToInt(s.gateway);
  if (gw >= ipToInt(a) && gw <= ipToInt(b)) throw new NovaError('INVALID_INPUT', `dhcp_range ${range} contains the gateway ${s.gateway}: ${hint}`, { field: 'dhcp_range' });
}

/** A range covering the upper half of the subnet, leaving the lower half for static reservations. */
export function defaultRange(s: Subnet): string {
  const size = s.broadcast - s.network;
  const start = s.network + Math.max(2, Math.ceil(size / 2));
  return `${intToIp(start)}-${intToIp(s.broadcast - 1)}`;
}

/**
 * Overlays: the hosts of one overlay share an L2 segment and a subnet, each with its own gateway
 * address. A host's guests get addresses from its own block so hosts never hand out the same
 * one: the subnet is cut in 16 blocks, block k belongs to the host whose gateway is the k-th
 * address (1-15); block 0 holds the gateways.
 */
export function overlayBlock(s: Subnet): string {
  const size = s.broadcast - s.network + 1;
  const k = ipToInt(s.gateway) - s.network;
  if (size < 256 || k < 1 || k > 15) {
    const hint = size < 256 ? 'use a /24 or larger' : `give each host of the overlay its own gateway among the first 15 addresses, e.g. "${intToIp(s.network + 1)}/${s.prefix}" on one host and "${intToIp(s.network + 2)}/${s.prefix}" on the next`;
    throw new NovaError('INVALID_INPUT', `subnet ${s.gateway}/${s.prefix}: on an overlay ${hint} (each host's guests get the block of 1/16 of the subnet matching its gateway)`, { field: 'subnet' });
  }
  const b = size / 16;
  return `${intToIp(s.network + k * b)}-${intToIp(s.network + (k + 1) * b - (k === 15 ? 2 : 1))}`;
}

export interface Reservation {
  key: string; // "vm:web"
  ip?: string;
  mac: string;
  hostname: string;
  attached: boolean;
  at: number;
}

export const ownerKey = (o: { kind: string; name: string }) => `${o.kind}:${o.name}`;

/** Deterministic MAC: same network + owner → same MAC (52:54:00 for VMs, locally administered for capsules). */
export function stableMac(network: string, key: string): string {
  const h = createHash('sha256').update(`${network}/${key}`).digest();
  const hex = (i: number) => h[i]!.toString(16).padStart(2, '0');
  return key.startsWith('vm:') ? `52:54:00:${hex(0)}:${hex(1)}:${hex(2)}` : `0a:${hex(3)}:${hex(0)}:${hex(1)}:${hex(2)}:${hex(4)}`;
}

/**
 * The owner's reserved address, or a new one outside the DHCP range, the gateway and every
 * other reservation. When the subnet is full, the oldest detached reservation gives way.
 */
export function allocate(s: Subnet, range: string | undefined, reservations: Reservation[], key: string, taken: string[] = [], inside = false): string {
  const mine = reservations.find((r) => r.key === key);
  if (mine?.ip) return mine.ip;
  const used = new Set([s.gateway, ...taken, ...reservations.map((r) => r.ip).filter(Boolean)] as string[]);
  const [ra, rb] = range ? parseRange(range).map(ipToInt) : [0, -1];
  for (let n = s.network + 1; n < s.broadcast; n++) {
    // Overlays (inside): only this host's block; switches: outside the DHCP range.
    if (inside ? n < ra! || n > rb! : n >= ra! && n <= rb!) continue;
    const ip = intToIp(n);
    if (!used.has(ip)) return ip;
  }
  const victim = reservations.filter((r) => !r.attached && r.ip).sort((a, b) => a.at - b.at)[0];
  if (!victim) throw new NovaError('CONFLICT', `no free address left in ${s.cidr} outside the DHCP range: shrink dhcp_range or detach something`);
  const ip = victim.ip!;
  delete victim.ip;
  return ip;
}
