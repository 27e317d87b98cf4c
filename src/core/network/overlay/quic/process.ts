import { readFileSync } from 'node:fs';
import { chown, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetCtx } from '../../context.js';
import { instanceId, quicTapName } from '../../owner.js';
import type { NetworkState } from '../../store.js';
import { writeFileAtomic } from '../../../sys/atomic.js';
import { pidAlive, processMatches, readPidFile } from '../../../sys/proc.js';
import type { OverlayTls } from './certs.js';
import { TUNNEL_MARK, startTunnel } from './helper.js';
import type { TunnelPeer } from './helper.js';
import { parsePeer } from '../peers.js';

// The running tunnel of one quic overlay: started detached (it outlives the engine, like a
// capsule supervisor), found again by its pidfile + cmdline (binary and the `--net` marker), its
// peers' states read from the status file it keeps. Runtime files live under <runDir>/quic.

export const DEFAULT_PORT = 4433;
/** IP + UDP (28) + QUIC short header, AEAD tag and DATAGRAM frame (38) + the tunnel's tag byte (1) + Ethernet header (14). */
export const UNDERLAY_OVERHEAD = 81;
export const DEFAULT_L2_MTU = 1500 - UNDERLAY_OVERHEAD;

const files = (ctx: NetCtx, name: string) => {
  const dir = join(ctx.runDir, 'quic');
  // The status file sits in a folder of its own: the tunnel, no longer root, replaces it there.
  return { dir, pid: join(dir, `${name}.pid`), statusDir: join(dir, name), status: join(dir, name, 'status.json') };
};

/**
 * Started by root (the engine as root, `nova privd` for a user), the tunnel continues as "nobody"
 * once its TAP is attached, its socket bound and its key read: it parses what the network sends.
 */
export function runAs(passwd = '/etc/passwd'): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync(passwd, 'utf8').split('\n').find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return line ? { uid: Number(uid), gid: Number(gid) } : { uid: 65534, gid: 65534 };
}

/** The helper's name for a host: from its certificate fingerprint, so every host derives the same. */
export const hostName = (fingerprint: string) => `p${fingerprint.slice(0, 16).toLowerCase()}`;

const marker = (ctx: NetCtx, name: string) => `${instanceId(ctx)}/${name}`;

export function tunnelPeers(n: NetworkState): TunnelPeer[] {
  return n.spec.peers.map((raw, i) => {
    const p = parsePeer(raw, i, 'certificate fingerprint', `FINGERPRINT@192.0.2.10:${DEFAULT_PORT}`);
    return { name: hostName(p.identity), endpoint: `${p.host}:${p.port}`, fingerprint: p.identity.toLowerCase() };
  });
}

export async function tunnelPid(ctx: NetCtx, name: string): Promise<number | undefined> {
  const pid = await readPidFile(files(ctx, name).pid);
  if (pid && pidAlive(pid) && (await processMatches(pid, [TUNNEL_MARK, marker(ctx, name)]))) return pid;
  return undefined;
}

export async function startOverlayTunnel(ctx: NetCtx, n: NetworkState, tls: OverlayTls, l2Mtu: number): Promise<number> {
  const f = files(ctx, n.name);
  const as = runAs();
  await mkdir(f.statusDir, { recursive: true, mode: 0o700 });
  if (as) await chown(f.statusDir, as.uid, as.gid);
  const t = await startTunnel(
    {
      name: hostName(tls.fingerprint),
      listen: `${n.spec.local ?? '0.0.0.0'}:${n.spec.listen_port ?? DEFAULT_PORT}`,
      tap: quicTapName(n.name),
      underlay_mtu: l2Mtu + UNDERLAY_OVERHEAD,
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      peers: tunnelPeers(n),
      status_file: f.status,
      detach: true,
      ...(as ? { run_as_uid: as.uid, run_as_gid: as.gid } : {}),
    },
    (bin) => ctx.argv([bin, '--net', marker(ctx, n.name)]),
  );
  await writeFileAtomic(f.pid, `${t.pid}\n`);
  t.release();
  return t.pid;
}

export async function stopOverlayTunnel(ctx: NetCtx, name: string): Promise<void> {
  const pid = await tunnelPid(ctx, name);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  const f = files(ctx, name);
  await rm(f.pid, { force: true });
  await rm(f.statusDir, { recursive: true, force: true });
}

export interface TunnelStatusFile {
  pid: number;
  peers: { peer: string; state: 'up' | 'down'; since: number; error?: string | null; remote?: string | null }[];
  counters: { tx_bytes: number; rx_bytes: number };
}

export async function readTunnelStatus(ctx: NetCtx, name: string): Promise<TunnelStatusFile | undefined> {
  try {
    return JSON.parse(await readFile(files(ctx, name).status, 'utf8')) as TunnelStatusFile;
  } catch {
    return undefined;
  }
}
