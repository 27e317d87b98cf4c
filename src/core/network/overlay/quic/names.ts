import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../../shared/errors.js';
import type { NetCtx } from '../../context.js';
import type { NetworkState } from '../../store.js';
import { DEFAULT_VNI } from '../vxlan.js';
import { fingerprintOf, tlsFiles } from './certs.js';

// Names across the hosts of a quic overlay (dns = true). A quic overlay is plain L2 (the TAP
// carries Ethernet frames), so there is no tunnel address as with WireGuard: each host puts an
// IPv6 ULA on its overlay bridge instead, the /64 from the overlay's VNI (the same on every host)
// and the host part from its certificate fingerprint, so every host computes every peer's address
// from the `peers` it already lists. The name responders (overlay-dns.ts) listen there; their
// queries and answers cross inside the tunnel like any guest frame.

/** The overlay's VNI: `vni`, else derived from the name (use the same name or vni on every host). */
const vniOf = (n: NetworkState) => n.spec.vni ?? DEFAULT_VNI(n.name);

/** This host's (or a peer's, from its pinned fingerprint) name-responder address on the overlay's segment. */
export function segmentAddress(vni: number, fingerprint: string): string {
  const net = createHash('sha256').update(`nova-quic/${vni}`).digest();
  const host = createHash('sha256').update(Buffer.from(fingerprint.toLowerCase(), 'hex')).digest();
  const words = [0xfd00 | net[0]!, (net[1]! << 8) | net[2]!, (net[3]! << 8) | net[4]!, 0];
  for (let i = 0; i < 4; i++) words.push((host[2 * i]! << 8) | host[2 * i + 1]!);
  return canon(words.map((w) => w.toString(16)).join(':'));
}

/** ip prints IPv6 compressed (RFC 5952); so does the URL parser. */
const canon = (v6: string) => new URL(`http://[${v6}]/`).hostname.slice(1, -1);

/** This host's fingerprint when its certificate exists (never makes one). */
export async function ownFingerprint(ctx: NetCtx, name: string): Promise<string | undefined> {
  const pem = await readFile(tlsFiles(join(ctx.stateDir, 'quic-tls', name)).cert, 'utf8').catch(() => undefined);
  return pem ? fingerprintOf(pem) : undefined;
}

export async function dnsAddresses(ctx: NetCtx, n: NetworkState): Promise<{ self: string; peers: string[] } | undefined> {
  const fp = await ownFingerprint(ctx, n.name);
  if (!fp) return undefined;
  const peers = n.spec.peers.map((raw) => segmentAddress(vniOf(n), raw.slice(0, raw.lastIndexOf('@'))));
  return { self: segmentAddress(vniOf(n), fp), peers };
}

async function hasAddress(ctx: NetCtx, dev: string, v6: string): Promise<boolean> {
  const r = await ctx.run(['ip', '-6', '-j', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return false;
  const list = JSON.parse(r.stdout) as { addr_info?: { local: string }[] }[];
  return list.some((l) => (l.addr_info ?? []).some((a) => a.local === v6));
}

/**
 * Puts this host's segment address on the overlay's bridge (create, hydrate). Without IPv6 on the
 * bridge only names across hosts are lost: an error when `dns = true`, ignored otherwise.
 * True when it changed something.
 */
export async function ensureSegmentAddress(ctx: NetCtx, n: NetworkState, fingerprint: string): Promise<boolean> {
  const me = segmentAddress(vniOf(n), fingerprint);
  if (await hasAddress(ctx, n.name, me)) return false;
  const r = await ctx.run(['ip', '-6', 'addr', 'replace', `${me}/64`, 'dev', n.name, 'nodad'], { allowFailure: true });
  if (r.exitCode !== 0 && n.spec.dns) {
    throw new NovaError('HOST_UNSUPPORTED', `dns = true on a quic overlay needs IPv6 on bridge ${n.name} (names cross hosts at ${me}): ${r.stderr.trim()}; set net.ipv6.conf.default.disable_ipv6 = 0, or dns = false`, { field: 'dns' });
  }
  return r.exitCode === 0;
}

/** For Degraded: the responder address is gone from the bridge (dns = true only). */
export async function segmentAddressProblem(ctx: NetCtx, n: NetworkState): Promise<string | undefined> {
  if (!n.spec.dns) return undefined;
  const fp = await ownFingerprint(ctx, n.name);
  if (!fp) return undefined;
  return (await hasAddress(ctx, n.name, segmentAddress(vniOf(n), fp))) ? undefined : 'quic name address missing on the bridge';
}
