// The running engine's eye on its VMs: an events monitor per live VM (QMP events become
// vm.state at once; a dropped socket is a synthetic SHUTDOWN) plus a 500 ms process poll as
// backstop. Crashed VMs restart per their policy, with a cap so a crash loop ends.
import type { VmContext } from './context.js';
import { QmpMonitor } from './qmp/monitor.js';
import type { QmpEvent } from './qmp/protocol.js';
import { publish, startVm } from './power.js';
import { processState, readMarker } from './state.js';
import { layoutOf, listRecords } from './store.js';
import type { VmRecord } from './store.js';
import { StatsSampler } from './stats.js';

const EVENT_STATE: Record<string, string> = { STOP: 'paused', RESUME: 'running', POWERDOWN: 'shutting-down', RESET: 'running' };
const MAX_RESTARTS = 5;
const METRICS_EVERY_MS = 2000;
const RESTART_WINDOW_MS = 60_000;

export class VmWatcher {
  private timer?: NodeJS.Timeout;
  private monitors = new Map<string, QmpMonitor>();
  private last = new Map<string, string>();
  private restarts = new Map<string, number[]>();
  private busy = false;
  private sampler = new StatsSampler();
  private lastMetrics = 0;
  private closed = false;
  private sampling = false;
  /** After the first pass, a VM seen for the first time was created meanwhile (maybe elsewhere). */
  private primed = false;

  constructor(private ctx: VmContext, private intervalMs = 500) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
  }

  /** One pass: derive each VM's process state, publish changes, apply restart policies. */
  async tick(): Promise<void> {
    if (this.busy || this.closed) return;
    this.busy = true;
    try {
      const recs = await listRecords(this.ctx.paths);
      for (const rec of recs) await this.check(rec);
      this.forgetRemoved(recs);
      this.primed = true;
      // Samples only while someone can see them (EventBus.wanted): idle costs no QMP round trips.
      if (Date.now() - this.lastMetrics >= METRICS_EVERY_MS && !this.sampling && this.ctx.bus.wanted('metrics.sample')) {
        // Metrics run beside the state poll: a slow QMP answer (TCG under load) must not delay
        // the next state change past the poll interval.
        this.lastMetrics = Date.now();
        this.sampling = true;
        const running = recs.filter((r) => this.last.get(r.name) === 'running');
        void (async () => {
          for (const rec of running) await this.publishMetrics(rec.name);
        })().finally(() => (this.sampling = false));
      }
    } finally {
      this.busy = false;
    }
  }

  /** A VM deleted by another process (the CLI) disappears from every view. */
  private forgetRemoved(recs: VmRecord[]): void {
    const names = new Set(recs.map((r) => r.name));
    for (const name of [...this.last.keys()]) {
      if (names.has(name)) continue;
      this.last.delete(name);
      this.dropMonitor(name);
      this.ctx.bus.emit('resource.changed', { kind: 'vm', name, state: 'removed' });
    }
  }

  private async check(rec: VmRecord): Promise<void> {
    const st = await processState(this.ctx.paths, rec);
    const prev = this.last.get(rec.name);
    this.last.set(rec.name, st.state);
    if (st.state === 'running' || st.state === 'shutting-down') this.ensureMonitor(rec);
    else this.dropMonitor(rec.name);
    // Every change is published, whoever caused it: a VM started by the CLI goes starting →
    // running here too (not publishing "running" left other processes' starts stuck at "starting").
    // A VM first seen after the first pass was created meanwhile, maybe by another process.
    if (prev === undefined ? this.primed : prev !== st.state) publish(this.ctx, rec.name, st.state, st.reason);
    const policy = rec.spec.restart;
    const userStopped = Boolean(await readMarker(this.ctx.paths, rec.name, 'user-stop'));
    const wantsRestart =
      (st.state === 'crashed' && policy !== 'no') ||
      (st.state === 'stopped' && policy === 'always' && prev !== undefined && prev !== 'stopped' && !userStopped);
    if (wantsRestart && !this.closed) await this.restart(rec, st.state);
  }

  private async restart(rec: VmRecord, why: string): Promise<void> {
    const now = Date.now();
    const recent = (this.restarts.get(rec.name) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
    if (recent.length >= MAX_RESTARTS) {
      if (recent.length === MAX_RESTARTS) {
        publish(this.ctx, rec.name, 'crashed', `restart policy gave up after ${MAX_RESTARTS} restarts in a minute`);
        this.ctx.bus.emit('notification', { level: 'error', title: `VM ${rec.name} keeps crashing`, body: 'Nova stopped restarting it; see its serial log', subject: rec.name });
        recent.push(now);
        this.restarts.set(rec.name, recent);
      }
      return;
    }
    recent.push(now);
    this.restarts.set(rec.name, recent);
    publish(this.ctx, rec.name, why, `restarting (restart = "${rec.spec.restart}")`);
    try {
      await startVm(this.ctx, rec.name);
      this.last.set(rec.name, 'running');
    } catch (e) {
      // Another engine (the app and `nova serve` both watch) may have restarted it first.
      if ((e as { code?: string }).code === 'CONFLICT') return;
      publish(this.ctx, rec.name, 'crashed', `restart failed: ${(e as Error).message}`);
    }
  }

  private async publishMetrics(name: string): Promise<void> {
    const s = await this.sampler.sample(this.ctx, name).catch(() => undefined);
    if (!s) return;
    const values: Record<string, number> = { memoryBytes: s.memoryBytes, ioReadBytes: s.ioReadBytes, ioWriteBytes: s.ioWriteBytes };
    if (s.cpuPercent !== undefined) values.cpuPercent = s.cpuPercent;
    this.ctx.bus.emit('metrics.sample', { kind: 'vm', name, at: s.at, values });
  }

  private ensureMonitor(rec: VmRecord): void {
    if (this.monitors.has(rec.name)) return;
    const m = new QmpMonitor(layoutOf(this.ctx.paths, rec.name).qmpEvents, {
      shouldReconnect: async () => (await processState(this.ctx.paths, rec)).state === 'running',
    });
    m.on('event', (e: QmpEvent) => this.onEvent(rec, e));
    m.on('stopped', () => this.monitors.delete(rec.name));
    this.monitors.set(rec.name, m.start());
  }

  private dropMonitor(name: string): void {
    this.monitors.get(name)?.stop();
    this.monitors.delete(name);
  }

  private onEvent(rec: VmRecord, e: QmpEvent): void {
    const state = EVENT_STATE[e.event];
    if (state) publish(this.ctx, rec.name, state, e.event === 'RESET' ? 'reset' : undefined);
    if (e.event === 'SHUTDOWN' || e.event === 'MIGRATION') void this.tick();
  }
}
