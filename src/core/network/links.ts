import { NovaError } from '../../shared/errors.js';
import { crashPoint } from '../sys/crash-point.js';
import type { NetCtx } from './context.js';

// Links through `ip -json`: parse, create and delete bridges, TAPs, veths and VXLANs. Every link
// Nova creates carries an alias "nova:<network>[:<owner>]" so hydrate can find its own orphans.

export interface Link {
  ifname: string;
  ifindex: number;
  flags: string[];
  operstate: string;
  master?: string;
  address?: string;
  mtu?: number;
  ifalias?: string;
  kind?: string;
  addrs: { local: string; prefixlen: number }[];
  stats?: { rxBytes: number; txBytes: number; rxPackets: number; txPackets: number; rxErrors: number; txErrors: number };
}

interface RawLink {
  ifname: string;
  ifindex: number;
  flags?: string[];
  operstate?: string;
  master?: string;
  address?: string;
  mtu?: number;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
  stats64?: { rx?: Record<string, number>; tx?: Record<string, number> };
}

export const ALIAS_PREFIX = 'nova:';

export function parseLinks(json: string): Link[] {
  const raw = (json.trim() ? JSON.parse(json) : []) as RawLink[];
  return raw.map((l) => ({
    ifname: l.ifname,
    ifindex: l.ifindex,
    flags: l.flags ?? [],
    operstate: l.operstate ?? 'UNKNOWN',
    ...(l.master ? { master: l.master } : {}),
    ...(l.address ? { address: l.address } : {}),
    ...(l.mtu ? { mtu: l.mtu } : {}),
    ...(l.ifalias ? { ifalias: l.ifalias } : {}),
    ...(l.linkinfo?.info_kind ? { kind: l.linkinfo.info_kind } : {}),
    addrs: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => ({ local: a.local, prefixlen: a.prefixlen })),
    ...(l.stats64
      ? {
          stats: {
            rxBytes: l.stats64.rx?.bytes ?? 0,
            txBytes: l.stats64.tx?.bytes ?? 0,
            rxPackets: l.stats64.rx?.packets ?? 0,
            txPackets: l.stats64.tx?.packets ?? 0,
            rxErrors: l.stats64.rx?.errors ?? 0,
            txErrors: l.stats64.tx?.errors ?? 0,
          },
        }
      : {}),
  }));
}

/** Every link with its IPv4 addresses and kind (one `ip -d -j addr` call). */
export async function listLinks(ctx: NetCtx, opts: { stats?: boolean } = {}): Promise<Link[]> {
  const r = await ctx.run(['ip', '-d', '-j', ...(opts.stats ? ['-s'] : []), opts.stats ? 'link' : 'addr', 'show']);
  return parseLinks(r.stdout);
}

export async function getLink(ctx: NetCtx, name: string): Promise<Link | undefined> {
  const r = await ctx.run(['ip', '-d', '-j', 'addr', 'show', 'dev', name], { allowFailure: true });
  if (r.exitCode !== 0) return undefined;
  return parseLinks(r.stdout)[0];
}

export async function deleteLink(ctx: NetCtx, name: string): Promise<void> {
  await ctx.run(['ip', 'link', 'del', 'dev', name], { allowFailure: true });
}

export async function setAlias(ctx: NetCtx, name: string, alias: string): Promise<void> {
  await ctx.run(['ip', 'link', 'set', 'dev', name, 'alias', alias]);
}

/**
 * Runs several `ip` commands in one process (`ip -batch -`, stops at the first error): hydrate
 * recreates many bridges at once. Each line is an argv of validated names, joined by spaces; ip
 * tokenizes it itself (no shell is involved).
 */
export async function ipBatch(ctx: NetCtx, lines: string[][], opts: { force?: boolean } = {}): Promise<void> {
  for (const l of lines) if (l.some((w) => !w || /[\s"'\\#]/.test(w))) throw new NovaError('INTERNAL', `ip batch word not allowed in: ${l.join(' ')}`);
  // -force: every line runs even after one failed (the exit status still says it failed).
  await ctx.run(['ip', ...(opts.force ? ['-force'] : []), '-batch', '-'], { input: `${lines.map((l) => l.join(' ')).join('\n')}\n` });
}

/**
 * A bridge with a fixed MAC (derived from its name): otherwise it borrows a port's MAC, which
 * changes when it is recreated and leaves every guest with a stale ARP entry for the gateway.
 */
export function bridgeLines(name: string, alias: string, mac: string, opts: { mtu?: number; cidr?: string }): string[][] {
  return [
    ['link', 'add', 'name', name, 'address', mac, ...(opts.mtu ? ['mtu', String(opts.mtu)] : []), 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0'],
    ['link', 'set', 'dev', name, 'alias', alias],
    ...(opts.cidr ? [['addr', 'replace', opts.cidr, 'dev', name]] : []),
    ['link', 'set', 'dev', name, 'up'],
  ];
}

/** Deletes a link only when it carries our alias (never a stranger's link of the same name). */
export async function deleteOwnLink(ctx: NetCtx, name: string, alias: string): Promise<void> {
  const l = await getLink(ctx, name);
  if (l?.ifalias === alias) await deleteLink(ctx, name);
}

export async function setUp(ctx: NetCtx, name: string): Promise<void> {
  await ctx.run(['ip', 'link', 'set', 'dev', name, 'up']);
}

export async function addAddress(ctx: NetCtx, dev: string, cidr: string): Promise<void> {
  const r = await ctx.run(['ip', 'addr', 'add', cidr, 'dev', dev], { allowFailure: true });
  if (r.exitCode !== 0 && !/File exists/.test(r.stderr)) {
    throw new NovaError('INTERNAL', `could not add ${cidr} to ${dev}: ${r.stderr.trim()}`);
  }
}

export async function setMaster(ctx: NetCtx, dev: string, master: string): Promise<void> {
  await ctx.run(['ip', 'link', 'set', 'dev', dev, 'master', master]);
}

/** `user`: the uid whose QEMU may open it (`ifname=`) without CAP_NET_ADMIN (via `nova privd`). */
export async function createTap(ctx: NetCtx, name: string, alias: string, mac?: string, user?: number, mtu?: number): Promise<void> {
  await ctx.run(['ip', 'tuntap', 'add', 'dev', name, 'mode', 'tap', 'vnet_hdr', ...(user !== undefined ? ['user', String(user)] : [])]);
  crashPoint(`tap ${name} added`);
  if (mac || mtu) await ctx.run(['ip', 'link', 'set', 'dev', name, ...(mac ? ['address', tapHostMac(mac)] : []), ...(mtu ? ['mtu', String(mtu)] : [])]);
  await setAlias(ctx, name, alias);
}

/** The host side of a TAP must not carry the guest's MAC (the bridge would learn it twice). */
export function tapHostMac(guestMac: string): string {
  return `fe${guestMac.slice(2)}`;
}

/** `mtu`: both ends (an overlay's segment is narrower than the underlay). */
export async function createVeth(ctx: NetCtx, host: string, peer: string, alias: string, peerMac?: string, mtu?: number): Promise<void> {
  const m = mtu ? ['mtu', String(mtu)] : [];
  await ctx.run(['ip', 'link', 'add', 'name', host, ...m, 'type', 'veth', 'peer', 'name', peer, ...m, ...(peerMac ? ['address', peerMac] : [])]);
  crashPoint(`veth ${host} added, no alias yet`);
  await setAlias(ctx, host, alias);
}

export interface VxlanOptions {
  vni: number;
  local?: string;
  port?: number;
  mtu?: number;
}

export async function createVxlan(ctx: NetCtx, name: string, alias: string, o: VxlanOptions): Promise<void> {
  await ctx.run([
    'ip', 'link', 'add', 'name', name, ...(o.mtu ? ['mtu', String(o.mtu)] : []), 'type', 'vxlan', 'id', String(o.vni),
    'dstport', String(o.port ?? 4789), ...(o.local ? ['local', o.local] : []), 'nolearning',
  ]);
  await setAlias(ctx, name, alias);
}

/** Head-end replication: one all-zeros FDB entry per peer. */
export async function addVxlanPeer(ctx: NetCtx, dev: string, peer: string): Promise<void> {
  await ctx.run(['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', dev, 'dst', peer]);
}

export async function vxlanPeers(ctx: NetCtx, dev: string): Promise<string[]> {
  const r = await ctx.run(['bridge', '-j', 'fdb', 'show', 'dev', dev], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return [];
  return (JSON.parse(r.stdout) as { mac: string; dst?: string }[]).filter((e) => e.mac === '00:00:00:00:00:00' && e.dst).map((e) => e.dst!);
}

export type Route = { dst: string; dev?: string };

/**
 * Links (with addresses) and routes read by one process: `ip -j -batch` prints one JSON document
 * per command, a line each. Validation, forwarding and hydrate need both; falls back to the two
 * separate reads when the batch fails.
 */
export async function linksAndRoutes(ctx: NetCtx): Promise<{ links: Link[]; routes: Route[] }> {
  const r = await ctx.run(['ip', '-d', '-j', '-batch', '-'], { input: 'addr show\nroute show\n', allowFailure: true });
  const docs = r.stdout.split('\n').filter((l) => l.trim());
  if (r.exitCode !== 0 || docs.length !== 2) {
    const [links, rs] = await Promise.all([listLinks(ctx), routes(ctx)]);
    return { links, routes: rs };
  }
  return { links: parseLinks(docs[0]!), routes: JSON.parse(docs[1]!) as Route[] };
}

export async function routes(ctx: NetCtx): Promise<Route[]> {
  const r = await ctx.run(['ip', '-j', 'route', 'show'], { allowFailure: true });
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { dst: string; dev?: string }[]) : [];
}
