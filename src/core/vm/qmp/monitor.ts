// A long-lived QMP monitor on a VM's events socket: reconnects while the VM should be up and
// reports a synthetic SHUTDOWN when the connection drops (QEMU killed, crashed or quit), so
// the engine notices a dead VM at once instead of at the next poll.
import { EventEmitter } from 'node:events';
import { QmpProtocol } from './protocol.js';
import type { QmpEvent } from './protocol.js';

export interface MonitorOptions {
  /** Asked before each reconnect attempt: false stops the monitor (VM gone for good). */
  shouldReconnect?: () => Promise<boolean> | boolean;
  retryMs?: number;
  greetingTimeoutMs?: number;
}

export class QmpMonitor extends EventEmitter<{ event: [QmpEvent]; connected: []; stopped: [] }> {
  private qmp?: QmpProtocol;
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(
    readonly path: string,
    private opts: MonitorOptions = {},
  ) {
    super();
  }

  start(): this {
    void this.connectLoop();
    return this;
  }

  get connected(): boolean {
    return Boolean(this.qmp && !this.qmp.isClosed);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.qmp?.close();
    this.qmp = undefined;
  }

  private async connectLoop(): Promise<void> {
    if (this.stopped) return;
    try {
      const qmp = await QmpProtocol.connect(this.path, { greetingTimeoutMs: this.opts.greetingTimeoutMs ?? 2000 });
      if (this.stopped) return qmp.close();
      this.qmp = qmp;
      qmp.on('event', (e) => this.emit('event', e));
      qmp.on('close', () => {
        this.qmp = undefined;
        if (this.stopped) return;
        this.emit('event', { event: 'SHUTDOWN', data: { guest: false, reason: 'monitor-disconnected' }, synthetic: true });
        this.schedule();
      });
      this.emit('connected');
    } catch {
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      const again = (await this.opts.shouldReconnect?.()) ?? true;
      if (!again) {
        this.stopped = true;
        this.emit('stopped');
        return;
      }
      void this.connectLoop();
    }, this.opts.retryMs ?? 500);
    this.timer.unref();
  }
}
