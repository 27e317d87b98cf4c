import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { lockHelper } from './lock-helper.js';

export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  timeoutMs?: number;
  /** Who holds it, shown to whoever waits ("nova up dev-lab"). */
  holder?: string;
}

/** A held lock whose release runs once, however often it is called. */
function heldLock(path: string, release: () => Promise<void>): Lock {
  let released: Promise<void> | undefined;
  return { path, release: () => (released ??= release()) };
}

// Lock folders this process has made (a mkdir per lock is measurable on hot paths).
const lockDirs = new Set<string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const conflict = async (path: string, timeoutS: number) => {
  const owner = (await readFile(`${path}.owner`, 'utf8').catch(() => 'another Nova process')).trim();
  return new NovaError('CONFLICT', `${path} is locked by ${owner}; waited ${timeoutS}s — try again when it finishes`, { path, owner });
};

// Who holds a lock, for the message a waiter gets; informational, so not waited for.
const noteOwner = (path: string, opts: LockOptions) => void writeFile(`${path}.owner`, `pid ${process.pid}${opts.holder ? ` (${opts.holder})` : ''}\n`).catch(() => undefined);

/**
 * Lock files between processes (GUI, CLI, server), as kernel flocks, which the kernel drops when
 * their holder dies (even by kill -9) — so locks never go stale. They are held by this process's
 * lock helper (native/lock-helper.c, one pipe round trip per lock) or, when it is not built, by a
 * `flock FILE cat` child per lock.
 */
export async function acquireLock(path: string, opts: LockOptions = {}): Promise<Lock> {
  if (path.includes('\n')) throw new NovaError('INVALID_INPUT', `lock path ${JSON.stringify(path)} has a newline`);
  const dir = dirname(path);
  if (!lockDirs.has(dir)) await mkdir(dir, { recursive: true });
  lockDirs.add(dir);
  const helper = lockHelper();
  try {
    return await (helper ? helperLock(helper, path, opts) : flockChildLock(path, opts));
  } catch (e) {
    // The folder may have been removed since this process made it: make it again, once.
    if (!(e instanceof NovaError) || e.code !== 'INTERNAL' || existsSync(dir)) throw e;
    lockDirs.delete(dir);
    return acquireLock(path, opts);
  }
}

async function helperLock(helper: NonNullable<ReturnType<typeof lockHelper>>, path: string, opts: LockOptions): Promise<Lock> {
  const timeoutMs = Math.max(0, opts.timeoutMs ?? 30_000);
  const deadline = Date.now() + timeoutMs;
  for (let delay = 2; ; delay = Math.min(delay * 2, 100)) {
    const { id, answer } = await helper.tryLock(path);
    if (answer.ok) {
      noteOwner(path, opts);
      return heldLock(path, () => helper.unlock(id));
    }
    if (!answer.busy) throw new NovaError('INTERNAL', `lock ${path} failed: ${answer.error ?? 'unknown error'}`);
    if (Date.now() >= deadline) throw await conflict(path, timeoutMs / 1000);
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
  }
}

async function flockChildLock(path: string, opts: LockOptions): Promise<Lock> {
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
    if (child.exitCode === 75) throw await conflict(path, timeoutS);
    throw new NovaError('INTERNAL', `flock on ${path} failed: ${stderr.trim() || `exit ${child.exitCode}`}`);
  }
  noteOwner(path, opts);
  // The lock must not keep a finished CLI alive; it is released explicitly or at exit.
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void }).unref?.();
  return heldLock(
    path,
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // The child was unref'd while held; re-ref it so a CLI's event loop waits for the exit.
        child.ref();
        child.stdin.end();
      }),
  );
}

export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
