import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../../../shared/errors.js';
import type { NetworkSpec } from '../../../../shared/schemas/novafile.js';
import { createRunner } from '../../../sys/runner.js';
import type { NetCtx } from '../../context.js';
import { deleteOwnLink, getLink, setAlias, setMaster, setUp } from '../../links.js';
import type { Link } from '../../links.js';
import { aliasFor, quicTapName } from '../../owner.js';
import type { NetworkState } from '../../store.js';
import type { OverlayDriver, PeerStatus } from '../driver.js';
import { parsePeers } from '../peers.js';
import { ensureOverlayTls, isFingerprint } from './certs.js';
import { dnsAddresses, ensureSegmentAddress, segmentAddressProblem } from './names.js';
import { NOT_BUILT, tunnelBinary } from './helper.js';
import { DEFAULT_L2_MTU, DEFAULT_PORT, hostName, readTunnelStatus, startOverlayTunnel, stopOverlayTunnel, tunnelPeers, tunnelPid } from './process.js';

// driver = "quic": a TAP on the switch's bridge whose frames native/quic-tunnel carries to the
// other hosts in QUIC datagrams (mutual TLS, pinned certificates: see certs.ts). The engine makes
// the TAP persistent and owned by the engine's user, so the tunnel (an unprivileged process that
// only attaches to it) can die and restart without the TAP or its bridge membership going away.

const PACKAGES = 'cargo rustc librust-quinn-dev librust-rustls-pemfile-dev librust-serde-json-dev librust-serde-derive-dev librust-libc-dev librust-tokio-dev openssl';
const EXAMPLE = `FINGERPRINT@192.0.2.10:${DEFAULT_PORT}`;
const l2Mtu = (spec: NetworkSpec) => spec.mtu ?? DEFAULT_L2_MTU;
const tlsDir = (ctx: NetCtx, name: string) => join(ctx.stateDir, 'quic-tls', name);
const tls = (ctx: NetCtx, name: string) => ensureOverlayTls(createRunner().run, tlsDir(ctx, name), name);
const uid = () => process.getuid?.() ?? 0;

async function createTapPort(ctx: NetCtx, n: NetworkState): Promise<void> {
  const tap = quicTapName(n.name);
  await ctx.run(['ip', 'tuntap', 'add', 'dev', tap, 'mode', 'tap', 'user', String(uid())]);
  try {
    await setAlias(ctx, tap, aliasFor(ctx, n.name, 'quic'));
    await ctx.run(['ip', 'link', 'set', 'dev', tap, 'mtu', String(l2Mtu(n.spec))]);
    await setMaster(ctx, tap, n.name);
    await setUp(ctx, tap);
  } catch (e) {
    await ctx.run(['ip', 'link', 'del', 'dev', tap], { allowFailure: true });
    throw e;
  }
}

async function removeTapPort(ctx: NetCtx, name: string): Promise<void> {
  await deleteOwnLink(ctx, quicTapName(name), aliasFor(ctx, name, 'quic'));
}

const isoSince = (s: number) => new Date(s * 1000).toISOString();

async function peerStatus(ctx: NetCtx, n: NetworkState): Promise<PeerStatus[]> {
  const st = await readTunnelStatus(ctx, n.name);
  return tunnelPeers(n).map((p, i) => {
    const live = st?.peers.find((x) => x.peer === p.name);
    return {
      peer: n.spec.peers[i]!,
      endpoint: live?.remote ?? p.endpoint,
      reachable: live?.state === 'up',
      ...(live ? { since: live.since * 1000 } : {}),
    };
  });
}

export const quicDriver: OverlayDriver = {
  name: 'quic',
  encrypted: true,
  linkParts: ['quic'],
  async support(run) {
    if (!tunnelBinary()) return { ok: false, reason: NOT_BUILT, fix: 'install the packages, then npm run build', remedy: { debian: `apt-get install ${PACKAGES}`, arch: 'pacman -S rust openssl' } };
    if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun is missing (no TUN/TAP in this kernel or container)', fix: 'load the tun module or give the container /dev/net/tun' };
    const ssl = await run(['openssl', 'version'], { allowFailure: true }).catch(() => undefined);
    if (!ssl || ssl.exitCode !== 0) return { ok: false, reason: 'openssl is not installed (it makes the overlay certificates)', fix: 'install openssl', remedy: { debian: 'apt-get install openssl', arch: 'pacman -S openssl' } };
    return { ok: true, mode: 'nova-quic-tunnel', reason: 'QUIC datagrams (quinn) with mutual TLS and pinned certificates' };
  },
  async check(_ctx, _name, spec) {
    await parsePeers(spec.peers, 'certificate fingerprint', EXAMPLE, (id) => (isFingerprint(id) ? undefined : 'is not a SHA-256 fingerprint: give the 64 hex digits `nova net inspect` shows as that host\'s identity'));
    if (l2Mtu(spec) < 1200) throw new NovaError('INVALID_INPUT', `mtu ${l2Mtu(spec)} is too small for a quic overlay (at least 1200)`, { field: 'mtu' });
  },
  l2Mtu,
  async create(ctx, n, undo) {
    const t = await tls(ctx, n.name);
    await createTapPort(ctx, n);
    undo(() => removeTapPort(ctx, n.name));
    await ensureSegmentAddress(ctx, n, t.fingerprint);
    await startOverlayTunnel(ctx, n, t, l2Mtu(n.spec));
    undo(() => stopOverlayTunnel(ctx, n.name));
  },
  async remove(ctx, n) {
    await stopOverlayTunnel(ctx, n.name);
    await removeTapPort(ctx, n.name);
  },
  async problems(ctx, n, links) {
    const tap = links.get(quicTapName(n.name));
    const out: string[] = [];
    if (!tap) out.push('quic TAP missing');
    else if (tap.master !== n.name) out.push('quic TAP not on the bridge');
    const addr = tap ? await segmentAddressProblem(ctx, n) : undefined;
    if (addr) out.push(addr);
    if (!(await tunnelPid(ctx, n.name))) out.push('quic tunnel not running');
    else for (const p of await peerStatus(ctx, n)) if (!p.reachable) out.push(`peer ${p.peer} unreachable${p.since ? ` since ${isoSince(p.since / 1000)}` : ''}`);
    return out;
  },
  async status(ctx, n) {
    const t = await tls(ctx, n.name);
    return { driver: 'quic', mode: 'nova-quic-tunnel', identity: t.fingerprint, listenPort: n.spec.listen_port ?? DEFAULT_PORT, mtu: l2Mtu(n.spec), peers: await peerStatus(ctx, n) };
  },
  async repair(ctx, n, links: Map<string, Link>) {
    let changed = false;
    const tap = links.get(quicTapName(n.name)) ?? (await getLink(ctx, quicTapName(n.name)));
    if (!tap) {
      await createTapPort(ctx, n);
      changed = true;
    } else if (tap.master !== n.name) {
      await setMaster(ctx, quicTapName(n.name), n.name);
      await setUp(ctx, quicTapName(n.name));
      changed = true;
    }
    if (await ensureSegmentAddress(ctx, n, (await tls(ctx, n.name)).fingerprint)) changed = true;
    if (!(await tunnelPid(ctx, n.name))) {
      await startOverlayTunnel(ctx, n, await tls(ctx, n.name), l2Mtu(n.spec));
      changed = true;
    }
    return changed;
  },
  alive: async (ctx, n) => (await tunnelPid(ctx, n.name)) !== undefined,
  dnsAddresses,
  async setPeers(ctx, n, spec) {
    await stopOverlayTunnel(ctx, n.name);
    await startOverlayTunnel(ctx, { ...n, spec }, await tls(ctx, n.name), l2Mtu(spec));
  },
};

export { hostName };
