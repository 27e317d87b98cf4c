// The HA items of the cluster on this host: run the ones it owns (a moved one only START_DELAY_MS
// after it first saw it here), remove local copies of ones another host owns or the cluster
// released, and fence (SIGKILL) all of them when the agent says the lease is, or may be, gone.
// The agent (agent.ts) decides when; this file knows how.
import { readFileSync } from 'node:fs';
import type { EngineContext } from '../context.js';
import { fenceVms, localVms, removeVmCopy, runVmHere } from './ha-vm.js';
import type { ItemRecord } from './placement.js';

/** A survivor starts an item it took over this long after it saw the takeover (TTL + this > FENCE_MS, 4 s to spare). */
export const START_DELAY_MS = 2000;
/** The project HA capsules are created in (so `nova ls` shows where they come from). */
export const CLUSTER_PROJECT = 'cluster';

type HaItem = [string, { record: ItemRecord }];

/** What the runner asks of the agent. */
export interface RunnerHooks {
  /** May this host start an item now (the lease a reconcile began with is still held)? */
  mayStart(gen: number): boolean;
  note(what: string): void;
  /** Run the work loop again soon (a moved item's start delay is over). */
  wake(): void;
}

export class HaRunner {
  /** The HA items this host runs, by pid and the process's start time (a reused pid is never killed). */
  private pids = new Map<string, { pid: number; start: string }>();
  /** When this host first saw an item moved to it (id#moves → performance.now()): it starts it START_DELAY_MS later. */
  private arrived = new Map<string, number>();

  constructor(
    private engine: EngineContext,
    private me: string,
    private hooks: RunnerHooks,
  ) {}

  /** Brings this host's HA capsules and VMs in line with `ha` (the cluster's HA items, owners already moved). */
  async reconcile(ha: HaItem[], gen: number): Promise<void> {
    await this.reconcileVms(ha.filter(([, i]) => i.record.kind === 'vm'), gen);
    const local = await this.engine.call('capsule.list', { project: CLUSTER_PROJECT });
    for (const [id, { record }] of ha.filter(([, i]) => i.record.kind === 'capsule')) {
      const here = local.items.find((c) => c.name === record.name);
      if (record.host === this.me) {
        if (here?.state === 'running' && here.pid) this.track(id, here.pid);
        else await this.runHere(id, record, here?.state, gen);
      } else if (here) {
        // Another host owns it now: this copy must not run (a host that came back).
        this.pids.delete(id);
        await this.engine.call('capsule.rm', { name: record.name, force: true });
        this.hooks.note(`removed capsule/${record.name}: owned by ${record.host}`);
      }
    }
    for (const c of local.items.filter((x) => !ha.some(([, i]) => i.record.kind === 'capsule' && i.record.name === x.name))) {
      this.pids.delete(`capsule/${c.name}`);
      await this.engine.call('capsule.rm', { name: c.name, force: true });
      this.hooks.note(`removed capsule/${c.name}: released from the cluster`);
    }
  }

  /** HA VMs: run the ones this host owns; a copy of one another host owns (or released) is stopped and its definition removed, its disks kept. */
  private async reconcileVms(items: HaItem[], gen: number): Promise<void> {
    const local = await localVms(this.engine, CLUSTER_PROJECT).catch(() => []);
    if (!items.length && !local.length) return;
    for (const [id, { record }] of items) {
      const here = local.find((v) => v.name === record.name);
      if (record.host === this.me) {
        if (here?.state === 'running' && here.pid) this.track(id, here.pid);
        else if (this.arrivedLongEnough(id, record) && this.hooks.mayStart(gen)) {
          const pid = await runVmHere(this.engine, record, here, CLUSTER_PROJECT);
          if (pid) this.track(id, pid);
          this.hooks.note(`started vm/${record.name}`);
          if (!this.hooks.mayStart(gen)) await this.fence('lease lost while an HA VM was starting');
        }
      } else if (here) {
        this.pids.delete(id);
        await removeVmCopy(this.engine, record.name);
        this.hooks.note(`removed vm/${record.name}: owned by ${record.host}`);
      }
    }
    for (const v of local.filter((x) => !items.some(([, i]) => i.record.name === x.name))) {
      this.pids.delete(`vm/${v.name}`);
      await removeVmCopy(this.engine, v.name);
      this.hooks.note(`removed vm/${v.name}: released from the cluster`);
    }
  }

  /**
   * A moved item waits START_DELAY_MS from when this host first saw it here (its old owner has
   * fenced itself by then); the work loop is woken when the wait is over. True when it may start.
   */
  private arrivedLongEnough(id: string, record: ItemRecord): boolean {
    if (record.moves === 0) return true;
    const key = `${id}#${record.moves}`;
    const now = performance.now();
    const seen = this.arrived.get(key) ?? now;
    this.arrived.set(key, seen);
    const left = seen + START_DELAY_MS - now;
    if (left <= 0) return true;
    const t = setTimeout(() => this.hooks.wake(), left + 50);
    t.unref?.();
    return false;
  }

  private track(id: string, pid: number): void {
    const start = procStart(pid);
    if (start) this.pids.set(id, { pid, start });
  }

  private async runHere(id: string, record: ItemRecord, state: string | undefined, gen: number): Promise<void> {
    if (!this.arrivedLongEnough(id, record) || !this.hooks.mayStart(gen)) return;
    // The cluster restarts HA capsules, not the local supervisor: a host that returns must not
    // start one by itself before it has asked etcd who owns it.
    const spec = { ...record.spec!, restart: 'no' as const };
    const info = state === undefined ? await this.engine.call('capsule.create', { name: record.name, spec, project: CLUSTER_PROJECT, start: true }) : await this.engine.call('capsule.start', { name: record.name });
    if (info.pid) this.track(id, info.pid);
    this.hooks.note(`started capsule/${record.name}`);
    // Fenced while it was starting: it goes at once (the watchdog would kill it within REFENCE_MS).
    if (!this.hooks.mayStart(gen)) await this.fence('lease lost while an HA item was starting');
  }

  /**
   * Kills every HA item running here (the lease is, or may soon be, gone: survivors will start
   * them). The pids known from the last reconcile first — a signal each, no I/O before it — then
   * whatever the engine lists as running in the cluster project, through the engine.
   */
  async fence(why: string): Promise<void> {
    const killed = new Set<string>();
    for (const [id, p] of this.pids) {
      if (procStart(p.pid) === p.start) {
        try {
          process.kill(p.pid, 'SIGKILL');
          killed.add(id);
          this.hooks.note(`fenced ${id}: ${why}`);
        } catch {
          /* gone already */
        }
      }
      this.pids.delete(id);
    }
    for (const name of await fenceVms(this.engine, CLUSTER_PROJECT, killed).catch(() => [])) this.hooks.note(`fenced vm/${name}: ${why}`);
    const local = await this.engine.call('capsule.list', { project: CLUSTER_PROJECT }).catch(() => ({ items: [] }));
    for (const c of local.items.filter((x) => x.state === 'running' || x.state === 'paused' || x.state === 'restarting')) {
      await this.engine.call('capsule.kill', { name: c.name, signal: 'SIGKILL' }).catch(() => undefined);
      if (!killed.has(`capsule/${c.name}`)) this.hooks.note(`fenced capsule/${c.name}: ${why}`);
    }
  }
}

/** A process's start time (field 22 of /proc/PID/stat), to tell it from a later one with its pid. */
function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
