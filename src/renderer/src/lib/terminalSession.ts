import type { EventPayload } from '../../../shared/contract.js';
import { call, on } from './rpc';

export type TerminalTarget = { kind: 'capsule'; name: string; command?: string[] } | { kind: 'vm'; name: string };

export interface TerminalHandlers {
  output(data: string): void;
  exit(reason: string, exitCode?: number): void;
}

/**
 * One engine terminal (terminal.open) seen from the renderer: output events for our id, typed
 * input in order, resizes, hang-up. Events that arrive before open() answers are kept and
 * replayed, so the shell's first prompt is never lost.
 */
export class TerminalSession {
  private id?: string;
  private early: { kind: 'out' | 'exit'; p: EventPayload<'terminal.output'> | EventPayload<'terminal.exit'> }[] = [];
  private offs: (() => void)[] = [];
  // Keystrokes go one after another: a fast typist's input must not reorder over the wire.
  private sending: Promise<unknown> = Promise.resolve();
  private ended = false;

  constructor(private readonly handlers: TerminalHandlers) {}

  async open(target: TerminalTarget, cols: number, rows: number): Promise<string> {
    this.offs.push(
      on('terminal.output', (p) => this.deliver('out', p)),
      on('terminal.exit', (p) => this.deliver('exit', p)),
    );
    const { id, title } = await call('terminal.open', { target, cols, rows });
    this.id = id;
    for (const e of this.early.splice(0)) this.deliver(e.kind, e.p);
    return title;
  }

  input(data: string): void {
    const id = this.id;
    if (!id || this.ended) return;
    this.sending = this.sending.then(() => call('terminal.input', { id, data })).catch(() => undefined);
  }

  resize(cols: number, rows: number): void {
    if (this.id && !this.ended) void call('terminal.resize', { id: this.id, cols, rows }).catch(() => undefined);
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.id && !this.ended) void call('terminal.close', { id: this.id }).catch(() => undefined);
    this.ended = true;
  }

  private deliver(kind: 'out' | 'exit', p: EventPayload<'terminal.output'> | EventPayload<'terminal.exit'>): void {
    if (this.id === undefined) {
      this.early.push({ kind, p });
      return;
    }
    if (p.id !== this.id || this.ended) return;
    if (kind === 'out') this.handlers.output((p as EventPayload<'terminal.output'>).data);
    else {
      const e = p as EventPayload<'terminal.exit'>;
      this.ended = true;
      this.handlers.exit(e.reason, e.exitCode);
    }
  }
}
