// The QEMU guest agent wire protocol over the VM's virtio-serial unix socket. Unlike QMP there
// is no greeting and no id matching: the agent answers one command at a time, in order, and may
// still hold a half-read command or a stale reply from an earlier client. guest-sync-delimited
// resets that: the agent drops its parser state on a 0xFF byte and prefixes its reply with 0xFF,
// so everything before that marker is discarded.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { NovaError } from '../../../shared/errors.js';

/** An error the agent returned for a command ({"error": {"class", "desc"}}). */
export class QgaError extends NovaError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(errorClass === 'CommandNotFound' ? 'HOST_UNSUPPORTED' : 'INTERNAL', `guest agent ${command}: ${desc}`, { command, class: errorClass });
  }
}

interface Waiter {
  resolve: (msg: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export class QgaClient {
  private buffer = Buffer.alloc(0);
  private synced = false;
  private waiter?: Waiter;
  private closedError?: Error;

  private constructor(private socket: Socket) {
    socket.on('data', (b: Buffer) => this.onData(b));
    socket.on('error', (e) => this.onClose(e));
    socket.on('close', () => this.onClose());
  }

  /** Connects and syncs; TIMEOUT when nothing in the guest answers within syncTimeoutMs. */
  static async connect(path: string, syncTimeoutMs: number): Promise<QgaClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (e: NodeJS.ErrnoException) => reject(new NovaError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'INTERNAL', `guest agent socket ${path}: ${e.code ?? e.message}`)));
    });
    const c = new QgaClient(socket);
    try {
      await c.sync(syncTimeoutMs);
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  private async sync(timeoutMs: number): Promise<void> {
    const id = randomInt(1, 2 ** 31);
    this.socket.write(Buffer.from([0xff]));
    // Replies to other ids are leftovers of an earlier client's sync: keep reading.
    for (const deadline = Date.now() + timeoutMs; ;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new NovaError('TIMEOUT', `the guest agent did not answer guest-sync within ${timeoutMs} ms`);
      this.synced = false;
      const r = await this.send('guest-sync-delimited', { id }, left);
      if (r === id) return;
    }
  }

  /** One command; resolves with its return value. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    return this.send(command, args, timeoutMs) as Promise<T>;
  }

  /**
   * A command the agent never answers on success (guest-shutdown): resolves once it left this
   * process; an error reply within replyWindowMs rejects.
   */
  async sendOnly(command: string, args?: Record<string, unknown>, replyWindowMs = 500): Promise<void> {
    try {
      await this.send(command, args, replyWindowMs);
    } catch (e) {
      if (e instanceof NovaError && e.code === 'TIMEOUT') return; // no news is good news
      throw e;
    }
  }

  private send(command: string, args: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.waiter) return Promise.reject(new NovaError('INTERNAL', `guest agent ${command}: another command is still waiting`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new NovaError('TIMEOUT', `guest agent ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (msg) => {
          clearTimeout(timer);
          if ('error' in msg) {
            const err = msg.error as { class?: string; desc?: string };
            reject(new QgaError(command, err.class ?? 'GenericError', err.desc ?? 'failed'));
          } else resolve(msg.return);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    if (!this.synced) {
      const ff = this.buffer.indexOf(0xff);
      if (ff < 0) {
        this.buffer = Buffer.alloc(0);
        return;
      }
      this.buffer = this.buffer.subarray(ff + 1);
      this.synced = true;
    }
    let nl: number;
    while ((nl = this.buffer.indexOf(0x0a)) >= 0) {
      const line = this.buffer.subarray(0, nl).toString('utf8').trim();
      this.buffer = this.buffer.subarray(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      const w = this.waiter;
      this.waiter = undefined;
      w?.resolve(msg);
    }
  }

  private onClose(e?: Error): void {
    this.closedError ??= new NovaError('INTERNAL', `guest agent connection closed${e ? `: ${e.message}` : ''}`);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.closedError);
  }

  close(): void {
    this.socket.destroy();
  }
}
