// Who runs Nova in the capsule host suite: root (an engine in this process, today's setup) or an
// ordinary user the test creates (subordinate ids from useradd, an engine under setpriv). The
// suite drives both through the same calls and the same CLI, and asks the identity what the
// host must show: which host uid a uid inside maps to, and what may be left running.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../core/engine.js';
import type { Engine } from '../core/engine.js';
import { resolvePaths } from '../core/sys/paths.js';
import { unmountUnder } from './capsule-fixtures.js';
import { startUserEngine } from './user-engine.js';
import type { UserEngine } from './user-engine.js';
import { createTestUser } from './users.js';
import type { HomeUser } from './users.js';

const REPO = join(import.meta.dirname, '..', '..');
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

export interface Identity {
  kind: 'root' | 'user';
  /** NOVA_HOME, owned by the identity. */
  home: string;
  uid: number;
  gid: number;
  /** Dispatcher call as the identity: the value, or the NovaError thrown. */
  invoke<T = unknown>(method: string, input?: unknown): Promise<T>;
  /** The `nova` CLI as the identity, in `cwd`; with a pty (script) when asked. */
  cli(args: string[], opts?: { cwd?: string; pty?: boolean }): Promise<CliRun>;
  /** The host uid that uid `inside` a capsule runs as. */
  hostUid(inside: number): number;
  /** Processes of this identity's capsules still alive (the engine and fixtures excluded). */
  leftovers(): string[];
  close(): Promise<void>;
}

const cmdlines = () =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .map((p) => {
      try {
        return { pid: Number(p), cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() };
      } catch {
        return { pid: Number(p), cmd: '' };
      }
    });

function runCli(prefix: string[], args: string[], env: NodeJS.ProcessEnv, opts: { cwd?: string; pty?: boolean }): Promise<CliRun> {
  const argv = [...prefix, process.execPath, join(REPO, 'bin', 'nova.mjs'), ...args];
  // script gives the CLI a pty (the one place a terminal exists in a test); its -c takes a shell line.
  const [file, ...rest] = opts.pty ? ['script', '-qec', `exec ${argv.map(q).join(' ')}`, '/dev/null'] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, rest, { cwd: opts.cwd ?? REPO, env: { ...env, NOVA_FROM_SOURCE: '1', SHELL: '/bin/sh' } });
    const res: CliRun = { code: null, out: '', err: '' };
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stdout.on('data', (d: Buffer) => (res.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (res.err += d.toString()));
    // script's stdin stays open: its EOF would reach the pty as ^D before the command ran.
    if (!opts.pty) child.stdin.end();
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ...res, code, out: res.out.replace(/\r\n/g, '\n') });
    });
  });
}

/** Root: an engine in this process on a temp NOVA_HOME (capsules as root, cgroups, no user namespace). */
export function rootIdentity(env: Record<string, string>): Identity {
  const home = mkdtempSync(join(tmpdir(), 'nova-cap-'));
  const fullEnv = { ...process.env, ...env, NOVA_HOME: home };
  const engine: Engine = createEngine({ env: fullEnv, paths: resolvePaths(fullEnv) });
  return {
    kind: 'root',
    home,
    uid: 0,
    gid: 0,
    invoke: <T>(m: string, input: unknown = {}) => engine.dispatcher.invoke(m, input) as Promise<T>,
    cli: (args, opts = {}) => runCli([], args, fullEnv, opts),
    hostUid: (inside) => inside,
    leftovers: () =>
      cmdlines()
        .filter((p) => p.cmd.includes(home) && !/^(flock|docker-registry|script)\b/.test(p.cmd))
        .map((p) => `${p.pid} ${p.cmd}`),
    async close() {
      await engine.close();
      unmountUnder(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** An ordinary user with subordinate ids, its engine a child process under setpriv. */
export async function userIdentity(env: Record<string, string>): Promise<Identity & { user: HomeUser }> {
  const user = createTestUser();
  const home = mkdtempSync(join(tmpdir(), 'nova-rl-'));
  execFileSync('chown', [`${user.uid}:${user.gid}`, home]);
  const fullEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, USER: user.name, LOGNAME: user.name, ...env, NOVA_HOME: home };
  let engine: UserEngine | undefined;
  try {
    engine = await startUserEngine(user, fullEnv);
  } catch (e) {
    user.remove();
    throw e;
  }
  const sub = (inside: number) => user.subuid.start + inside - 1;
  return {
    kind: 'user',
    user,
    home,
    uid: user.uid,
    gid: user.gid,
    invoke: <T>(m: string, input: unknown = {}) => engine.invoke<T>(m, input),
    cli: (args, opts = {}) => runCli(user.as, args, fullEnv, opts),
    hostUid: (inside) => (inside === 0 ? user.uid : sub(inside)),
    // Only the engine itself (node, its esbuild and lock helper) and the user's namespace holder
    // (src/core/capsule/userns-holder.ts, kept for the next start) may still run as the user.
    leftovers: () =>
      user
        .processes()
        .filter((p) => p.pid !== engine.proc.pid && !/esbuild|nova-lock-helper|user-engine-server|nova-userns-exec .*--hold /.test(p.cmd))
        .map((p) => `${p.pid} uid ${p.uid} ${p.cmd}`),
    async close() {
      await engine.close();
      user.remove();
      unmountUnder(home);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
