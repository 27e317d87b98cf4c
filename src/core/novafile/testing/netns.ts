// A throwaway network namespace for host tests: the whole `nova` CLI runs inside it, so bridges,
// nft tables, dnsmasq, QEMU TAPs and capsule veths stay there. `nsenter --net` (not `ip netns
// exec`, which remounts /sys and hides the cgroup mounts crun needs) switches only the netns.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..', '..', '..');

export interface Netns {
  name: string;
  /** Runs `nova ARGS` inside the namespace; never throws on a non-zero exit. */
  nova(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string; ms: number }>;
  /** Starts `nova ARGS` inside the namespace and returns the child (nsenter execs: child pid = node's). */
  spawnNova(args: string[], opts?: { cwd?: string }): ChildProcess;
  ip(args: string[]): Promise<string>;
  /** Any tool inside the namespace (argv, never a shell string). */
  exec(argv: string[]): Promise<string>;
  /** Starts a long-running tool inside the namespace (killed by pid in cleanup). */
  spawn(argv: string[]): ChildProcess;
  cleanup(): Promise<void>;
}

export async function createNetns(env: NodeJS.ProcessEnv, prefix = 'nvnf'): Promise<Netns> {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  const argv = (args: string[]) => [`--net=/run/netns/${name}`, process.execPath, join(root, 'bin', 'nova.mjs'), ...args];
  // bin/nova.mjs takes the bundle when it was built from these sources (CI builds first).
  const childEnv = { ...env, NOVA_FROM_SOURCE: '1' };
  return {
    name,
    async nova(args, opts = {}) {
      const t = performance.now();
      try {
        const r = await run('nsenter', argv(args), { cwd: opts.cwd, env: childEnv, timeout: opts.timeoutMs ?? 240_000, maxBuffer: 32 << 20 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t };
      } catch (e) {
        const err = e as { code: number; stdout: string; stderr: string };
        return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(e), ms: performance.now() - t };
      }
    },
    spawnNova(args, opts = {}) {
      return spawn('nsenter', argv(args), { cwd: opts.cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    },
    async ip(args) {
      return (await run('ip', ['-n', name, ...args])).stdout;
    },
    async exec(a) {
      return (await run('nsenter', [`--net=/run/netns/${name}`, ...a], { maxBuffer: 32 << 20 })).stdout;
    },
    spawn(a) {
      return spawn('nsenter', [`--net=/run/netns/${name}`, ...a], { stdio: 'ignore' });
    },
    async cleanup() {
      // Only processes inside our own namespace: the ones this test started (via nova).
      const pids = await run('ip', ['netns', 'pids', name]).then((r) => r.stdout.split(/\s+/).filter(Boolean).map(Number), () => [] as number[]);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await run('ip', ['netns', 'del', name]).catch(() => undefined);
    },
  };
}
