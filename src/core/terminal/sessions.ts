import { randomBytes } from 'node:crypto';
import { NovaError } from '../../shared/errors.js';
import type { EventBus } from '../rpc/bus.js';

/** One open terminal as the registry sees it: a pty'd command or a serial socket. */
export interface TerminalBackend {
  write(data: string): void;
  /** False when the backend has no size (a serial line). */
  resize(cols: number, rows: number): boolean;
  /** Hangs up; the backend reports its end through the exit callback. */
  close(): void;
}

/** What a backend reports back; the registry turns it into events. */
export interface TerminalSink {
  output(data: string): void;
  exit(reason: string, exitCode?: number): void;
}

// Output is batched per tick: a burst (a `cat` of a big file) becomes a few events, not thousands.
const FLUSH_MS = 8;
const MAX_BATCH = 32_768;

/** Who may see and drive a session: the client that opened it (undefined: in-process callers). */
export const IN_PROCESS = 'inproc';

interface Entry {
  backend?: TerminalBackend;
  key: string;
  client: string;
}

/**
 * The open terminals of one engine, by session id. terminal.output / terminal.exit are addressed
 * to the client that opened the session (another window must never read someone's shell), and
 * only that client may type into, resize or close it.
 */
export class TerminalSessions {
  private open = new Map<string, Entry>();

  constructor(private readonly bus: EventBus) {}

  /**
   * Starts a backend under a fresh id. `key` names what it holds (e.g. `vm:NAME`): a VM serial
   * line has one client, so opening it again hangs up the terminal that had it.
   */
  async start(key: string, exclusive: boolean, client: string | undefined, make: (sink: TerminalSink) => Promise<TerminalBackend>): Promise<string> {
    if (exclusive) for (const [id, s] of this.open) if (s.key === key) this.hangUp(id, 'opened in another terminal');
    const id = randomBytes(12).toString('base64url');
    const entry: Entry = { key, client: client ?? IN_PROCESS };
    this.open.set(id, entry);
    let pending = '';
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (pending) this.bus.emit('terminal.output', { id, data: pending }, entry.client);
      pending = '';
    };
    const sink: TerminalSink = {
      output: (data) => {
        pending += data;
        if (pending.length >= MAX_BATCH) flush();
        else timer ??= setTimeout(flush, FLUSH_MS);
      },
      exit: (reason, exitCode) => {
        if (timer) clearTimeout(timer);
        flush();
        if (!this.open.delete(id)) return;
        this.bus.emit('terminal.exit', { id, reason, ...(exitCode !== undefined ? { exitCode } : {}) }, entry.client);
      },
    };
    try {
      entry.backend = await make(sink);
    } catch (e) {
      this.open.delete(id);
      throw e;
    }
    return id;
  }

  write(id: string, client: string | undefined, data: string): void {
    this.get(id, client).write(data);
  }

  resize(id: string, client: string | undefined, cols: number, rows: number): boolean {
    return this.get(id, client).resize(cols, rows);
  }

  close(id: string, client: string | undefined): boolean {
    if (this.open.get(id)?.client !== (client ?? IN_PROCESS)) return false;
    this.hangUp(id, 'closed');
    return true;
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.hangUp(id, 'the engine is shutting down');
  }

  private hangUp(id: string, reason: string): void {
    const s = this.open.get(id);
    s?.backend?.close();
    // The backend's own exit follows; announce the end now in case it never comes.
    if (s && this.open.delete(id)) this.bus.emit('terminal.exit', { id, reason }, s.client);
  }

  /** Another client's session is answered like a missing one: its existence is not revealed. */
  private get(id: string, client: string | undefined): TerminalBackend {
    const s = this.open.get(id);
    const b = s?.client === (client ?? IN_PROCESS) ? s.backend : undefined;
    if (!b) throw new NovaError('NOT_FOUND', `no open terminal ${id} (it ended or was closed)`, { id });
    return b;
  }
}
