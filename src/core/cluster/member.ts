// This host's etcd member: started detached (it outlives the `nova` that started it, like a
// VM), found again by its pid file checked against /proc (the binary and this host's data dir),
// restarted by the long-running engine when it died, stopped by `nova cluster leave`.
import { spawn } from 'node:child_process';
import { mkdir, open, rm } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import { writeFileAtomic } from '../sys/atomic.js';
import type { NovaPaths } from '../sys/paths.js';
import { killAndWait, processMatches, readPidFile } from '../sys/proc.js';
import { findBinary } from '../sys/which.js';
import type { ClusterConfig } from './config.js';
import { clusterDirs } from './config.js';
import { EtcdClient } from './etcd.js';
import { pkiFiles } from './pki.js';

export const peerUrl = (c: Pick<ClusterConfig, 'address' | 'peerPort'>) => `https://${c.address}:${c.peerPort}`;
export const clientUrl = (c: Pick<ClusterConfig, 'address' | 'clientPort'>) => `https://${c.address}:${c.clientPort}`;

/** argv of this host's member; `initial` is "name=peerURL,…" and `state` new/existing (used only on its first start). */
export function memberArgv(bin: string, p: NovaPaths, c: ClusterConfig, initial: string, state: 'new' | 'existing'): string[] {
  const d = clusterDirs(p);
  const f = pkiFiles(d.pki);
  return [
    bin, '--name', c.name, '--data-dir', d.data,
    '--listen-client-urls', `${clientUrl(c)},https://127.0.0.1:${c.clientPort}`,
    '--advertise-client-urls', clientUrl(c),
    '--listen-peer-urls', peerUrl(c),
    '--initial-advertise-peer-urls', peerUrl(c),
    '--initial-cluster', initial, '--initial-cluster-state', state, '--initial-cluster-token', `nova-${c.cluster}`,
    '--client-cert-auth', '--trusted-ca-file', f.ca, '--cert-file', f.cert, '--key-file', f.key,
    '--peer-client-cert-auth', '--peer-trusted-ca-file', f.ca, '--peer-cert-file', f.cert, '--peer-key-file', f.key,
    // A member cut off and back (a partition healed) must not depose the leader with its higher
    // term: without pre-vote the others lose their leader for an election, renewals stall, and
    // every host's HA items are fenced for nothing (3 s bound, agent.ts).
    '--pre-vote',
    // Idle cost (#23): heartbeats are most of an idle member's CPU; 200 ms (default 100) with the
    // default 1 s election timeout still notices a dead leader within ~1-1.5 s, well inside the
    // agents' 3 s fence bound. (--snapshot-count does not matter idle: a quiet cluster writes a
    // few capacity keys a minute.)
    '--heartbeat-interval', '200', '--election-timeout', '1000',
    // Metrics stay on the TLS client port; no plain listener anywhere.
    '--logger', 'zap', '--log-outputs', d.log, '--log-level', 'warn',
  ];
}

/** The member's pid when it runs (pid file checked against /proc: etcd with this host's data dir). */
export async function memberPid(p: NovaPaths): Promise<number | undefined> {
  const d = clusterDirs(p);
  const pid = await readPidFile(d.pid);
  return pid && (await processMatches(pid, ['etcd', d.data])) ? pid : undefined;
}

export async function etcdBinary(): Promise<string> {
  const bin = await findBinary('etcd');
  if (!bin) throw new NovaError('HOST_UNSUPPORTED', 'etcd is not installed: install etcd-server (Debian) or etcd (Arch), or use an existing etcd with `nova cluster init --etcd URL`', { field: 'etcd' });
  return bin;
}

/** Starts the member detached unless it runs; returns its pid. */
export async function startMember(p: NovaPaths, c: ClusterConfig, initial: string, state: 'new' | 'existing'): Promise<number> {
  const running = await memberPid(p);
  if (running) return running;
  const d = clusterDirs(p);
  await mkdir(d.run, { recursive: true, mode: 0o700 });
  await mkdir(d.data, { recursive: true, mode: 0o700 });
  const argv = memberArgv(await etcdBinary(), p, c, initial, state);
  const out = await open(`${d.log}.stderr`, 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out.fd, out.fd] });
    const pid = child.pid;
    if (!pid) throw new NovaError('INTERNAL', `etcd did not start (see ${d.log})`);
    child.unref();
    await writeFileAtomic(d.pid, `${pid}\n`, { mode: 0o600 });
    return pid;
  } finally {
    await out.close();
  }
}

export async function stopMember(p: NovaPaths): Promise<void> {
  const pid = await memberPid(p);
  if (pid) await killAndWait(pid, 5000);
  await rm(clusterDirs(p).pid, { force: true });
}

/** Waits until the member answers on its local client URL (TLS), or throws naming its log. */
export async function waitMemberReady(p: NovaPaths, c: ClusterConfig, client: EtcdClient, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  const local = `https://127.0.0.1:${c.clientPort}`;
  let last = '';
  for (let wait = 50; Date.now() < end; wait = Math.min(wait * 2, 400)) {
    if (!(await memberPid(p))) throw new NovaError('INTERNAL', `this host's etcd member exited: see ${clusterDirs(p).log} (and .stderr)`, { field: 'etcd' });
    try {
      const s = await client.status(local, 1000);
      if (s.leader && s.leader !== '0') return;
      last = 'no leader yet';
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, wait));
  }
  throw new NovaError('TIMEOUT', `this host's etcd member did not become ready within ${ms / 1000}s (${last}); see ${clusterDirs(p).log}`, { field: 'etcd' });
}
