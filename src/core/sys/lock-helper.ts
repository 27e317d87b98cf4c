import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { findBuildOutput } from './assets.js';

// Client of native/lock-helper.c: one helper process per Nova process holds all its flock(2)
// locks, so a lock costs a pipe round trip instead of a process start. The helper exits when
// our end of its stdin closes, however we end, and the kernel then drops every lock.

const ANSWER_TIMEOUT_MS = 10_000;

type Answer = { ok: true } | { ok: false; busy: boolean; error?: string };

class LockHelper {
  private child: ChildProcessWithoutNullStreams;
  private pending = new Map<number, (a: Answer) => void>();
  private nextId = 1;
  private buffer = '';
  dead = false;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d: string) => this.onData(d));
    this.child.stdin.on('error', () => undefined); // it died: 'exit' fails what is pending
    this.child.on('error', () => this.fail('cannot start the lock helper'));
    this.child.on('exit', (code) => this.fail(`the lock helper exited (${code})`));
    this.idle();
  }

  /** Try-lock; never blocks (callers retry with a backoff). */
  tryLock(path: string): Promise<{ id: number; answer: Answer }> {
    const id = this.nextId++;
    return this.request(id, `L ${id} ${path}`).then((answer) => ({ id, answer }));
  }

  async unlock(id: number): Promise<void> {
    await this.request(id, `U ${id}`);
  }

  private request(id: number, line: string): Promise<Answer> {
    if (this.dead) return Promise.resolve({ ok: false, busy: false, error: 'the lock helper is gone' });
    return new Promise((resolve) => {
      // An answer takes microseconds; one that never comes must not hang Nova.
      const watchdog = setTimeout(() => {
        this.child.kill('SIGKILL');
        this.fail('the lock helper did not answer within 10 s');
      }, ANSWER_TIMEOUT_MS);
      watchdog.unref();
      this.pending.set(id, (a) => {
        clearTimeout(watchdog);
        resolve(a);
      });
      this.busy();
      this.child.stdin.write(`${line}\n`);
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    let i: number;
    while ((i = this.buffer.indexOf('\n')) >= 0) {
      const [idText, word, ...rest] = this.buffer.slice(0, i).split(' ');
      this.buffer = this.buffer.slice(i + 1);
      const resolve = this.pending.get(Number(idText));
      if (!resolve) continue;
      this.pending.delete(Number(idText));
      resolve(word === 'ok' ? { ok: true } : { ok: false, busy: word === 'busy', ...(word === 'error' ? { error: rest.join(' ') } : {}) });
    }
    if (this.pending.size === 0) this.idle();
  }

  private fail(why: string): void {
    this.dead = true;
    for (const resolve of this.pending.values()) resolve({ ok: false, busy: false, error: why });
    this.pending.clear();
  }

  // Held locks must not keep a finished CLI alive; a pending answer must.
  private busy(): void {
    this.child.ref();
    (this.child.stdout as unknown as { ref(): void }).ref();
  }

  private idle(): void {
    this.child.unref();
    (this.child.stdout as unknown as { unref(): void }).unref();
    (this.child.stdin as unknown as { unref?: () => void }).unref?.();
  }
}

let helper: LockHelper | null | undefined;

/** The process's lock helper, or undefined when it is not built (lock.ts falls back to flock(1)). */
export function lockHelper(): LockHelper | undefined {
  if (process.env.NOVA_LOCK_HELPER === 'off') return undefined; // tests of the fallback
  if (helper?.dead) helper = undefined;
  if (helper === undefined) {
    const binary = findBuildOutput(join('native', 'nova-lock-helper'));
    helper = binary ? new LockHelper(binary) : null;
  }
  return helper ?? undefined;
}
