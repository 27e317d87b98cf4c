// A Nova engine running as an ordinary user (a child process under setpriv), driven from a root
// test through the same dispatcher calls the CLI, app and server make.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { NovaError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import { TEST_GUEST_DIR } from './guest.js';
import type { HomeUser } from './users.js';

const REPO = join(import.meta.dirname, '..', '..');

export interface UserEngine {
  proc: ChildProcess;
  /** Like dispatcher.invoke: the value, or the NovaError thrown. `remote`: as an API client over `nova serve`. */
  invoke<T = unknown>(method: string, input?: unknown, opts?: { remote?: boolean }): Promise<T>;
  /** Ends the engine process (closing stdin closes the engine) and waits for it. */
  close(): Promise<void>;
}

/** A NOVA_HOME under /tmp (short: sockets live in it) owned by `user`, the shared test guest's folder allowed as a user allows theirs. */
export function userGuestHome(user: HomeUser, prefix: string): string {
  const home = mkdtempSync(prefix);
  mkdirSync(join(home, 'config'));
  writeFileSync(join(home, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [TEST_GUEST_DIR] }), { mode: 0o600 });
  execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
  return home;
}

export async function startUserEngine(user: HomeUser, env: Record<string, string>): Promise<UserEngine> {
  const proc = spawn(user.as[0]!, [...user.as.slice(1), process.execPath, '--import', 'tsx', join(REPO, 'src', 'test', 'user-engine-server.ts')], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, USER: user.name, LOGNAME: user.name, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = new Map<number, (r: { ok: boolean; value?: unknown; error?: { code: ErrorCode; message: string; details?: unknown } }) => void>();
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const r = JSON.parse(line) as { id: number; ok: boolean };
    waiting.get(r.id)?.(r);
    waiting.delete(r.id);
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  let next = 1;
  await new Promise<void>((resolve, reject) => {
    waiting.set(0, () => resolve());
    proc.on('exit', (code) => reject(new Error(`user engine exited (${code}) before it was ready`)));
  });
  return {
    proc,
    invoke<T>(method: string, input: unknown = {}, opts: { remote?: boolean } = {}) {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, (r) => (r.ok ? resolve(r.value as T) : reject(new NovaError(r.error!.code, r.error!.message, r.error!.details))));
        proc.stdin!.write(`${JSON.stringify({ id, method, input, ...(opts.remote ? { remote: true } : {}) })}\n`);
      });
    },
    async close() {
      proc.stdin!.end();
      await exited;
    },
  };
}
