import { access } from 'node:fs/promises';
import { NovaError } from '../../../shared/errors.js';
import type { NetworkSpec } from '../../../shared/schemas/novafile.js';
import type { NetCtx } from '../context.js';
import { deleteLink, getLink, setAlias } from '../links.js';
import type { Link } from '../links.js';
import { aliasFor, vxlanName, wgName } from '../owner.js';
import { loadAll } from '../store.js';
import type { NetworkState } from '../store.js';
import type { DriverSupport, OverlayDriver, PeerStatus, RunFn } from './driver.js';
import { parsePeers } from './peers.js';
import type { PeerSpec } from './peers.js';
import { createVxlanPort, DEFAULT_VNI, vxlanPortProblems } from './vxlan.js';
import { createWgDevice, isUserspace, stopWgDevice, wgDeviceAlive, wgGoPid } from './wg-device.js';
import { ensureHostKey, hostPublicKey, privateKeyFile, tunnelAddress, WG_KEY } from './wg-keys.js';

// driver = "wireguard": a WireGuard device (kernel, else wireguard-go) with this host's key, one
// WireGuard peer per declared "<public key>@<host>:<port>", an IPv6 ULA per host derived from its
// key (allowed-ips: that /128 only), and a VXLAN port over those addresses on the bridge for L2.
// Everything guests send crosses the underlay inside WireGuard (ChaCha20-Poly1305); a packet from
// a key no peer lists is dropped by WireGuard before it reaches the VXLAN.

export const DEFAULT_WG_PORT = 51820;
/** Underlay MTU 1500 minus WireGuard over IPv6 (80): what wg-quick picks too. */
const WG_MTU = 1420;
/** VXLAN over IPv6 inside the tunnel: 40 (IPv6) + 8 (UDP) + 8 (VXLAN) + 14 (Ethernet). */
const VXLAN6_OVERHEAD = 70;
/** No handshake for this long (WireGuard's REJECT_AFTER_TIME): the peer is unreachable. */
const STALE_MS = 180_000;
const KEEPALIVE = '25';

const l2Mtu = (spec: NetworkSpec) => spec.mtu ?? WG_MTU - VXLAN6_OVERHEAD;
const vniOf = (n: NetworkState) => n.spec.vni ?? DEFAULT_VNI(n.name);
const portOf = (spec: NetworkSpec) => spec.listen_port ?? DEFAULT_WG_PORT;
const keyProblem = (k: string) => (WG_KEY.test(k) ? undefined : 'is not a WireGuard public key (44 characters of base64 ending in "=", as `wg pubkey` prints)');
const EXAMPLE = 'PUBLICKEY@192.0.2.10:51820';
const peersOf = (spec: NetworkSpec) => parsePeers(spec.peers, 'public key', EXAMPLE, keyProblem);
/** ip/bridge print IPv6 compressed (RFC 5952); so does the URL parser. */
const canon = (v6: string) => new URL(`http://[${v6}]/`).hostname.slice(1, -1);

async function has(run: RunFn, argv: string[]): Promise<boolean> {
  return run(argv, { allowFailure: true, timeoutMs: 5000 }).then((r) => r.exitCode === 0, () => false);
}

async function support(run: RunFn): Promise<DriverSupport> {
  const remedy = { debian: 'sudo apt install wireguard-tools wireguard-go', arch: 'sudo pacman -S wireguard-tools (the kernel module ships with linux)' };
  if (!(await has(run, ['wg', '--version']))) return { ok: false, reason: 'wg (wireguard-tools) is not installed', fix: 'install wireguard-tools', remedy };
  const kernel = await access('/sys/module/wireguard').then(() => true, () => false) || (await has(run, ['modinfo', '-n', 'wireguard']));
  if (kernel) return { ok: true, mode: 'kernel', reason: 'the wireguard kernel module is available' };
  if (await has(run, ['wireguard-go', '--version'])) return { ok: true, mode: 'wireguard-go (userspace)', reason: 'no wireguard kernel module here; wireguard-go runs the tunnel in userspace (slower)' };
  return { ok: false, reason: 'no wireguard kernel module and no wireguard-go', fix: 'install wireguard-go (or a kernel with WireGuard)', remedy };
}

async function check(ctx: NetCtx, name: string, spec: NetworkSpec): Promise<void> {
  const me = await hostPublicKey(ctx);
  const peers = await peersOf(spec);
  const self = peers.findIndex((p) => p.identity === me);
  if (self >= 0) throw new NovaError('INVALID_INPUT', `peers[${self}]: ${spec.peers[self]} is this host's own key: list the other hosts only`, { field: `peers[${self}]` });
  const port = portOf(spec);
  const clash = (await loadAll(ctx)).find((o) => o.name !== name && o.spec.driver === 'wireguard' && portOf(o.spec) === port);
  if (clash) throw new NovaError('CONFLICT', `listen_port ${port} is used by wireguard overlay "${clash.name}": set listen_port = ${port + 1} (and tell the peers)`, { field: 'listen_port' });
  const v6 = await ctx.run(['sysctl', '-n', 'net.ipv6.conf.default.disable_ipv6'], { allowFailure: true });
  if (v6.stdout.trim() === '1') throw new NovaError('HOST_UNSUPPORTED', 'a wireguard overlay carries VXLAN over IPv6 addresses inside the tunnel, and IPv6 is disabled here: set net.ipv6.conf.default.disable_ipv6 = 0', { field: 'driver' });
}

/** `wg set` for the whole device: port, key file, and exactly the declared peers. */
async function configure(ctx: NetCtx, dev: string, n: NetworkState, peers: (PeerSpec & { address: string })[]): Promise<void> {
  const vni = vniOf(n);
  const live = await wgShow(ctx, dev, 'peers');
  const wanted = new Set(peers.map((p) => p.identity));
  const argv = ['wg', 'set', dev, 'listen-port', String(portOf(n.spec)), 'private-key', privateKeyFile(ctx)];
  for (const k of live.keys()) if (!wanted.has(k)) argv.push('peer', k, 'remove');
  for (const p of peers) {
    argv.push('peer', p.identity, 'endpoint', `${p.address}:${p.port}`, 'allowed-ips', `${tunnelAddress(vni, p.identity)}/128`, 'persistent-keepalive', KEEPALIVE);
  }
  const r = await ctx.run(argv, { allowFailure: true });
  if (r.exitCode !== 0) {
    const busy = /in use/i.test(r.stderr);
    throw new NovaError(busy ? 'CONFLICT' : 'INTERNAL', busy ? `listen_port ${portOf(n.spec)} is in use on this host: pick another listen_port` : `wg set ${dev} failed: ${r.stderr.trim()}`, { field: busy ? 'listen_port' : 'peers' });
  }
}

/** `wg show DEV <what>` as public key → the rest of the line (never `dump`: it prints the private key). */
async function wgShow(ctx: NetCtx, dev: string, what: 'peers' | 'latest-handshakes' | 'endpoints' | 'transfer'): Promise<Map<string, string[]>> {
  const r = await ctx.run(['wg', 'show', dev, what], { allowFailure: true });
  const out = new Map<string, string[]>();
  if (r.exitCode !== 0) return out;
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [k, ...rest] = line.split('\t');
    out.set(k!, rest);
  }
  return out;
}

async function create(ctx: NetCtx, n: NetworkState, undo: (fn: () => Promise<void>) => void): Promise<void> {
  const pub = await ensureHostKey(ctx);
  const peers = await peersOf(n.spec);
  const dev = wgName(ctx, n.name);
  const me = tunnelAddress(vniOf(n), pub);
  undo(() => stopWgDevice(ctx, dev));
  await createWgDevice(ctx, dev);
  await setAlias(ctx, dev, aliasFor(ctx, n.name, 'wg'));
  await configure(ctx, dev, n, peers);
  await ctx.run(['ip', '-6', 'addr', 'replace', `${me}/64`, 'dev', dev, 'nodad']);
  await ctx.run(['ip', 'link', 'set', 'dev', dev, 'mtu', String(l2Mtu(n.spec) + VXLAN6_OVERHEAD), 'up']);
  undo(() => deleteLink(ctx, vxlanName(n.name)));
  await createVxlanPort(ctx, vxlanName(n.name), aliasFor(ctx, n.name, 'vxlan'), n.name, {
    vni: vniOf(n), local: me, mtu: l2Mtu(n.spec), peers: peers.map((p) => tunnelAddress(vniOf(n), p.identity)),
  });
}

async function remove(ctx: NetCtx, n: NetworkState): Promise<void> {
  await deleteLink(ctx, vxlanName(n.name));
  await stopWgDevice(ctx, wgName(ctx, n.name));
}

const fmtSince = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

async function peerStatus(ctx: NetCtx, n: NetworkState): Promise<PeerStatus[]> {
  const dev = wgName(ctx, n.name);
  const [hs, eps, tx] = await Promise.all([wgShow(ctx, dev, 'latest-handshakes'), wgShow(ctx, dev, 'endpoints'), wgShow(ctx, dev, 'transfer')]);
  const now = ctx.now();
  return n.spec.peers.map((raw) => {
    const key = raw.slice(0, raw.lastIndexOf('@'));
    const last = Number(hs.get(key)?.[0] ?? 0) * 1000;
    const ep = eps.get(key)?.[0];
    const t = tx.get(key);
    return {
      peer: raw, ...(ep && ep !== '(none)' ? { endpoint: ep } : {}),
      reachable: last > 0 && now - last < STALE_MS, ...(last > 0 ? { since: last } : {}),
      ...(t ? { rxBytes: Number(t[0]), txBytes: Number(t[1]) } : {}),
    };
  });
}

async function problems(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<string[]> {
  const dev = wgName(ctx, n.name);
  if (!links.has(dev)) return [(await isUserspace(ctx, dev)) && !(await wgGoPid(ctx, dev)) ? 'wireguard-go exited (tunnel down)' : 'wireguard device missing'];
  const pub = await hostPublicKey(ctx);
  const out: string[] = [];
  if (pub && !links.get(dev)!.flags.includes('UP')) out.push('wireguard device is down');
  const peers = n.spec.peers.map((raw) => tunnelAddress(vniOf(n), raw.slice(0, raw.lastIndexOf('@'))));
  out.push(...(await vxlanPortProblems(ctx, vxlanName(n.name), n.name, peers.map(canon), links)));
  for (const p of await peerStatus(ctx, n)) {
    if (!p.reachable) out.push(`peer ${p.peer.slice(p.peer.lastIndexOf('@') + 1)} unreachable ${p.since ? `since ${fmtSince(p.since)}` : '(never reached)'}`);
  }
  return out;
}

/** Puts back the device (wireguard-go killed, device deleted), its config, address and VXLAN port. */
async function repair(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<boolean> {
  const dev = wgName(ctx, n.name);
  if (!links.has(dev) || !(await wgDeviceAlive(ctx, dev))) {
    await remove(ctx, n);
    await create(ctx, n, () => undefined);
    return true;
  }
  let fixed = false;
  const peers = await peersOf(n.spec);
  const live = await wgShow(ctx, dev, 'peers');
  if (live.size !== peers.length || peers.some((p) => !live.has(p.identity))) {
    await configure(ctx, dev, n, peers);
    fixed = true;
  }
  const me = tunnelAddress(vniOf(n), (await ensureHostKey(ctx)));
  const l = await getLink(ctx, dev);
  if (!l?.flags.includes('UP') || !(await hasAddress(ctx, dev, me))) {
    await ctx.run(['ip', '-6', 'addr', 'replace', `${me}/64`, 'dev', dev, 'nodad']);
    await ctx.run(['ip', 'link', 'set', 'dev', dev, 'mtu', String(l2Mtu(n.spec) + VXLAN6_OVERHEAD), 'up']);
    fixed = true;
  }
  const addrs = peers.map((p) => tunnelAddress(vniOf(n), p.identity));
  if ((await vxlanPortProblems(ctx, vxlanName(n.name), n.name, addrs.map(canon), links)).length) {
    await deleteLink(ctx, vxlanName(n.name));
    await createVxlanPort(ctx, vxlanName(n.name), aliasFor(ctx, n.name, 'vxlan'), n.name, { vni: vniOf(n), local: me, mtu: l2Mtu(n.spec), peers: addrs });
    fixed = true;
  }
  return fixed;
}

async function hasAddress(ctx: NetCtx, dev: string, v6: string): Promise<boolean> {
  const r = await ctx.run(['ip', '-6', '-j', 'addr', 'show', 'dev', dev], { allowFailure: true });
  if (r.exitCode !== 0 || !r.stdout.trim()) return false;
  const list = JSON.parse(r.stdout) as { addr_info?: { local: string }[] }[];
  return list.some((l) => (l.addr_info ?? []).some((a) => a.local === canon(v6)));
}

export const wireguardDriver: OverlayDriver = {
  name: 'wireguard',
  encrypted: true,
  linkParts: ['wg', 'vxlan'],
  support,
  check,
  l2Mtu,
  create,
  remove,
  problems,
  async status(ctx, n) {
    const dev = wgName(ctx, n.name);
    const pub = await hostPublicKey(ctx);
    return {
      driver: 'wireguard',
      mode: (await isUserspace(ctx, dev)) ? 'wireguard-go (userspace)' : 'kernel',
      ...(pub ? { identity: pub, tunnelAddress: canon(tunnelAddress(vniOf(n), pub)) } : {}),
      listenPort: portOf(n.spec),
      mtu: l2Mtu(n.spec),
      peers: await peerStatus(ctx, n),
    };
  },
  repair,
  alive: (ctx, n) => wgDeviceAlive(ctx, wgName(ctx, n.name)),
  async dnsAddresses(ctx, n) {
    const pub = await hostPublicKey(ctx);
    if (!pub) return undefined;
    const peers = n.spec.peers.map((raw) => canon(tunnelAddress(vniOf(n), raw.slice(0, raw.lastIndexOf('@')))));
    return { self: canon(tunnelAddress(vniOf(n), pub)), peers };
  },
  async setPeers(ctx, n, spec) {
    const next = { ...n, spec };
    const peers = await peersOf(spec);
    await configure(ctx, wgName(ctx, n.name), next, peers);
    await deleteLink(ctx, vxlanName(n.name));
    const me = tunnelAddress(vniOf(next), await ensureHostKey(ctx));
    await createVxlanPort(ctx, vxlanName(n.name), aliasFor(ctx, n.name, 'vxlan'), n.name, { vni: vniOf(next), local: me, mtu: l2Mtu(spec), peers: peers.map((p) => tunnelAddress(vniOf(next), p.identity)) });
  },
};
