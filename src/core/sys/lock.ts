import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NovaError } from '../../shared/errors.js';

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  timeoutMs?: number;
  /** Who holds it, shown to whoever waits ("nova up dev-lab"). */
  holder?: string;
}

/**
 * Lock files between processes (GUI, CLI, server). We hold a kernel flock through a tiny
 * `flock FILE cat` child whose stdin is our pipe: the kernel drops the lock when the child exits,
 * and the child exits when we release or when we die (even by kill -9) — so locks never go stale.
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<Lock> {
  await mkdir(dirname(path), { recursive: true });
  const timeoutS = Math.max(0, (opts.timeoutMs ?? 30_000) / 1000);
  const child = spawn('flock', ['--exclusive', '--wait', String(timeoutS), '--conflict-exit-code', '75', path, 'cat'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // flock may exit (conflict, --wait 0) before our write lands: EPIPE then is expected, not fatal.
  child.stdin.on('error', () => undefined);
  const acquired = await new Promise<boolean>((resolve, reject) => {
    child.once('error', (e) => reject(new NovaError('HOST_UNSUPPORTED', `cannot run flock (util-linux): ${e.message}`)));
    child.stdout.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.stdin.write('x\n');
  });
  if (!acquired) {
    const owner = await readFile(`${path}.owner`, 'utf8').catch(() => 'another Nova process');
    if (child.exitCode === 75) {
      throw new NovaError('CONFLICT', `${path} is locked by ${owner.trim()}; waited ${timeoutS}s — try again when it finishes`, { path, owner: owner.trim() });
    }
    throw new NovaError('INTERNAL', `flock on ${path} failed: ${stderr.trim() || `exit ${child.exitCode}`}`);
  }
  await writeFile(`${path}.owner`, `pid ${process.pid}${opts.holder ? ` (${opts.holder})` : ''}\n`);
  // The lock must not keep a finished CLI alive; it is released explicitly or at exit.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // The child was unref'd while held; re-ref it so a CLI's event loop waits for the exit.
        child.ref();
        child.stdin.end();
      });
    },
  };
}

export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
