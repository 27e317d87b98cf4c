// QMP wire protocol over one unix socket: greeting + capabilities negotiation, commands
// matched to replies by id with a timeout each, asynchronous events passed to listeners.
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { NovaError } from '../../../shared/errors.js';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
  timestamp?: { seconds: number; microseconds: number };
  /** Set on events Nova makes up (SHUTDOWN when the socket drops). */
  synthetic?: boolean;
}

/** An error QEMU returned for a command ({"error": {"class", "desc"}}). */
export class QmpError extends NovaError {
  constructor(
    readonly command: string,
    readonly errorClass: string,
    desc: string,
  ) {
    super(errorClass === 'CommandNotFound' ? 'HOST_UNSUPPORTED' : 'INTERNAL', `QMP ${command}: ${desc}`, { command, class: errorClass });
  }
}

interface Pending {
  command: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectOptions {
  /** How long to wait for QEMU's greeting: QEMU serves one client per socket, others queue. */
  greetingTimeoutMs?: number;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

export class QmpProtocol extends EventEmitter<{ event: [QmpEvent]; close: [Error | undefined] }> {
  private buffer = '';
  private nextId = 1;
  private pending = new Map<string, Pending>();
  private closed = false;
  private onGreeting?: (version: QmpProtocol['version']) => void;
  version?: { qemu: { major: number; minor: number; micro: number } };

  private constructor(private socket: Socket) {
    super();
  }

  /** Connects, waits for the greeting and negotiates capabilities. */
  static connect(path: string, opts: ConnectOptions = {}): Promise<QmpProtocol> {
    const timeoutMs = opts.greetingTimeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const qmp = new QmpProtocol(socket);
      let greeted = false;
      const fail = (e: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      };
      const timer = setTimeout(
        () => fail(new NovaError('TIMEOUT', `QMP ${path}: no greeting within ${timeoutMs} ms (another client holds the socket, or QEMU hangs)`)),
        timeoutMs,
      );
      socket.once('error', (e: NodeJS.ErrnoException) => {
        if (greeted) return;
        const code = e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? 'NOT_FOUND' : 'INTERNAL';
        fail(new NovaError(code, `QMP ${path}: ${e.code ?? e.message}`));
      });
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => qmp.onData(chunk));
      qmp.onGreeting = (g) => {
        greeted = true;
        clearTimeout(timer);
        qmp.version = g;
        socket.on('error', () => undefined);
        socket.on('close', () => qmp.onClose());
        qmp.execute('qmp_capabilities').then(() => resolve(qmp), fail);
      };
    });
  }

  /** Sends one command; rejects with QmpError, or TIMEOUT after timeoutMs. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<T> {
    if (this.closed) return Promise.reject(new NovaError('INTERNAL', `QMP ${command}: connection closed`));
    const id = `nova-${this.nextId++}`;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new NovaError('TIMEOUT', `QMP ${command}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { command, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id })}\n`);
    });
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.onClose();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return; // QEMU only sends JSON; ignore a torn line rather than crash the engine
    }
    if ('QMP' in msg) {
      this.onGreeting?.((msg.QMP as { version: QmpProtocol['version'] }).version);
      return;
    }
    if (typeof msg.event === 'string') {
      this.emit('event', msg as unknown as QmpEvent);
      return;
    }
    const id = typeof msg.id === 'string' ? msg.id : undefined;
    const p = id ? this.pending.get(id) : undefined;
    if (!p || !id) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if ('error' in msg) {
      const err = msg.error as { class?: string; desc?: string };
      p.reject(new QmpError(p.command, err.class ?? 'GenericError', err.desc ?? 'failed'));
    } else p.resolve(msg.return);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new NovaError('INTERNAL', `QMP ${p.command}: connection closed before the reply (QEMU exited?)`));
      this.pending.delete(id);
    }
    this.emit('close', undefined);
  }
}

/** One short command session: connect, run fn, disconnect (frees the socket for other processes). */
export async function withQmp<T>(path: string, fn: (qmp: QmpProtocol) => Promise<T>, opts: ConnectOptions = {}): Promise<T> {
  const qmp = await QmpProtocol.connect(path, { greetingTimeoutMs: opts.greetingTimeoutMs ?? 15_000 });
  try {
    return await fn(qmp);
  } finally {
    qmp.close();
  }
}
