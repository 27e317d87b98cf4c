// The running engine's eye on its VMs, event-driven so an idle engine does no work (#24):
// - an events monitor per live VM: QMP events become vm.state at once; a dropped socket (QEMU
//   killed, crashed or quit) is a synthetic SHUTDOWN and a pass;
// - inotify (DirWatch) on the folders holding each VM's state — records, pidfiles, markers —
//   whoever writes them (the CLI, another engine, QEMU removing its pidfile at exit): a pass;
// - a slow safety pass (SAFETY_MS) for anything neither can tell.
// Crashed VMs restart per their policy, with a cap so a crash loop ends. Metrics are sampled on
// their own timer, only while someone sees them.
import { dirs } from '../sys/paths.js';
import { DirWatch, subfolders } from '../sys/dir-watch.js';
import { EventPass } from '../sys/event-pass.js';
import type { VmContext } from './context.js';
import { QmpMonitor } from './qmp/monitor.js';
import type { QmpEvent } from './qmp/protocol.js';
import { publish, startVm } from './power.js';
import { processState, readMarker } from './state.js';
import { layoutOf, listRecords, runtimeDir, vmDir } from './store.js';
import type { VmRecord } from './store.js';
import { StatsSampler } from './stats.js';

const EVENT_STATE: Record<string, string> = { STOP: 'paused', RESUME: 'running', POWERDOWN: 'shutting-down', RESET: 'running' };
const MAX_RESTARTS = 5;
const METRICS_EVERY_MS = 2000;
const RESTART_WINDOW_MS = 60_000;
const SAFETY_MS = 15_000;
/** Coalescing window: QEMU's start writes several files in a row. */
const DELAY_MS = 20;
// Events that cannot change a VM's state: serial and swtpm logs, disks and firmware variables
// written by a running guest.
const NOISE = /\.(log|qcow2|img|raw|fd|iso)$/;

export class VmWatcher {
  private pass: EventPass;
  private watch: DirWatch;
  private metricsTimer?: NodeJS.Timeout;
  private offAudience?: () => void;
  private monitors = new Map<string, QmpMonitor>();
  private last = new Map<string, string>();
  private restarts = new Map<string, number[]>();
  private sampler = new StatsSampler();
  private closed = false;
  private sampling = false;
  /** After the first pass, a VM seen for the first time was created meanwhile (maybe elsewhere). */
  private primed = false;

  constructor(private ctx: VmContext, safetyMs = SAFETY_MS) {
    this.pass = new EventPass(() => this.tick(), { delayMs: DELAY_MS, safetyMs });
    const vmRoot = dirs.vms(ctx.paths);
    // Disk images sit beside the VM folders (names with a dot; VM names have none).
    this.watch = new DirWatch((dir, name) => NOISE.test(name) || (dir === vmRoot && name.includes('.')), () => this.pass.poke());
  }

  start(): void {
    this.pass.start();
    // Samples only while someone can see them (EventBus.wanted): idle costs no QMP round trips.
    this.offAudience = this.ctx.bus.onAudience(() => this.sampleWhileWanted());
    this.sampleWhileWanted();
  }

  stop(): void {
    this.closed = true;
    this.pass.stop();
    this.watch.close();
    this.offAudience?.();
    clearInterval(this.metricsTimer);
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
  }

  /** Passes run so far (tests: an idle engine runs none between events). */
  get passes(): number {
    return this.pass.passes;
  }

  /** A pass soon (coalesced with other reasons). */
  poke(): void {
    this.pass.poke();
  }

  /** One pass: derive each VM's process state, publish changes, apply restart policies. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    const recs = await listRecords(this.ctx.paths);
    for (const rec of recs) await this.check(rec);
    this.forgetRemoved(recs);
    this.primed = true;
    // What the next change of any of these VMs will touch; a folder watched only now may have
    // changed before its watch began: one more pass.
    if (this.watch.sync(this.folders(recs))) this.pass.poke();
  }

  /** Every VM's folders, also one whose record is not written yet (a create under way). */
  private folders(recs: VmRecord[]): string[] {
    const p = this.ctx.paths;
    const out = [dirs.vms(p), `${p.runtime}/vms`];
    const names = new Set([...recs.map((r) => r.name), ...subfolders(dirs.vms(p)).filter((n) => !n.includes('.'))]);
    for (const n of names) out.push(vmDir(p, n), runtimeDir(p, n), layoutOf(p, n).scratch);
    return out;
  }

  private sampleWhileWanted(): void {
    const wanted = !this.closed && this.ctx.bus.wanted('metrics.sample');
    if (wanted && !this.metricsTimer) {
      this.metricsTimer = setInterval(() => this.sampleMetrics(), METRICS_EVERY_MS);
      this.metricsTimer.unref();
    } else if (!wanted && this.metricsTimer) {
      clearInterval(this.metricsTimer);
      this.metricsTimer = undefined;
    }
  }

  /** Beside the state passes: a slow QMP answer (TCG under load) must not delay a state change. */
  private sampleMetrics(): void {
    if (this.sampling || this.closed) return;
    this.sampling = true;
    const running = [...this.last].filter(([, st]) => st === 'running').map(([name]) => name);
    void (async () => {
      for (const name of running) await this.publishMetrics(name);
    })().finally(() => (this.sampling = false));
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
    m.on('stopped', () => {
      this.monitors.delete(rec.name);
      this.pass.poke(0); // the process is gone: say so now
    });
    this.monitors.set(rec.name, m.start());
  }

  private dropMonitor(name: string): void {
    this.monitors.get(name)?.stop();
    this.monitors.delete(name);
  }

  private onEvent(rec: VmRecord, e: QmpEvent): void {
    const state = EVENT_STATE[e.event];
    if (state) publish(this.ctx, rec.name, state, e.event === 'RESET' ? 'reset' : undefined);
    if (e.event === 'SHUTDOWN' || e.event === 'MIGRATION') this.pass.poke(0);
  }
}
