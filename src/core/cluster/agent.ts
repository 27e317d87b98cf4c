// What a long-running engine (the app, `nova serve`) does for the cluster, every 1.5 s:
// - keeps this host's etcd member running (managed mode; restarted when it died),
// - holds a lease (TTL 5 s) with this host's alive key and renews it; every call has a deadline,
//   and when etcd does not answer the host keeps working and the status says degraded,
// - publishes its capacity (every 15 s, and at once when the lease is new),
// - moves HA capsules of hosts whose lease is gone (fenced by CAS, see placement.takeOver),
// - renews this host's certificate when it has less than 30 days left (certs.ts),
// - runs the HA capsules this host owns and stops local copies of ones another host now owns
//   (a host that comes back never runs an item twice).
//
// Fencing (one copy at a time): the lease's TTL counts from etcd's processing of the last
// renewal, which is never earlier than when this host sent it. So this host kills every HA item
// it runs FENCE_MS (3 s) after sending its last renewal that succeeded — a watchdog timer, not
// the renewal loop, which may itself be stuck on a slow call — and at once when a renewal finds
// the lease gone (TTL 0 / not found), before it takes a new one. A survivor moves an item only
// once the lease is gone (CAS on the alive key) and starts it START_DELAY_MS (2 s) after it saw
// the takeover: at the earliest TTL 5 s + 2 s = 7 s after that renewal, 4 s after the fence.
import type { EngineContext } from '../context.js';
import { NOVA_VERSION } from '../host/probe.js';
import type { ClusterConfig } from './config.js';
import { keys, readConfig } from './config.js';
import { EtcdError } from './etcd.js';
import type { EtcdClient } from './etcd.js';
import { renewIfDue } from './certs.js';
import { DeployWorker } from './deploy-agent.js';
import { capacity } from './capacity.js';
import type { StaticCapacity } from './capacity.js';
import { HaRunner } from './ha-runner.js';
import { readSettings, seesShared } from './ha-vm.js';
import { memberPid, peerUrl, startMember } from './member.js';
import type { HostInfo } from './placement.js';
import { readView, takeOver } from './placement.js';

export const LEASE_TTL_S = 5;
/** An owner kills its HA items this long after sending its last renewal that succeeded (< the TTL). */
export const FENCE_MS = 3000;
/** While fenced, anything of the cluster's running here is killed again this often (a start that was under way). */
const REFENCE_MS = 500;
/** A renewal that failed is tried again this soon (the fence bound leaves room for a few). */
const RETRY_MS = 250;
const TICK_MS = 1500;
const CAPACITY_EVERY = 10;
/** Capacity is put again after this long even when it did not change (5 min). */
const PUBLISH_ANYWAY_MS = 300_000;
/** Ticks between looks at this host's certificate's expiry (15 s). */
const CERT_EVERY = 10;
/** Ticks between reads of the cluster's view and deploy requests when the watch reported nothing (30 s). */
const SAFETY_EVERY = 20;

export class ClusterAgent {
  private timers: NodeJS.Timeout[] = [];
  private lease: string | undefined;
  private ticks = 0;
  private workTicks = 0;
  /** performance.now() when the last renewal that succeeded was sent (the lease lives at least TTL from then). */
  private lastOk = 0;
  /** Bumped on every new lease: a reconcile begun under an older lease starts nothing. */
  private leaseGen = 0;
  private fenceTimer: NodeJS.Timeout | undefined;
  private ha: HaRunner;
  /** What publish() put last (its signature, when, under which lease) and what it caches. */
  private published: { force: boolean; sig: string; at: number; lease?: string; count: number; settingsDirty: boolean; shared?: string; statics?: StaticCapacity } = { force: true, sig: '', at: 0, count: 0, settingsDirty: true };
  private busy = { lease: false, work: false, deploy: false };
  private runners: Partial<Record<'lease' | 'work' | 'deploy', () => void>> = {};
  /** Set by the watch: the cluster's items or alive keys changed / a deploy request came; read again. */
  private dirty = { view: true, deploy: true };
  private view: Awaited<ReturnType<typeof readView>> | undefined;
  private deployTicks = 0;
  private watching: AbortController | undefined;
  private deployer: DeployWorker;
  private reconciling: Promise<void> = Promise.resolve();
  lastError: string | undefined;
  /** What this host's agent did lately (items started, moved, removed, fenced), newest last. */
  readonly log: string[] = [];

  constructor(
    private engine: EngineContext,
    private config: ClusterConfig,
    private client: EtcdClient,
  ) {
    this.deployer = new DeployWorker(engine, config, client, (w) => this.note(w));
    this.ha = new HaRunner(engine, config.name, { mayStart: (gen) => this.mayStart(gen), note: (w) => this.note(w), wake: () => this.runners.work?.() });
  }

  private note(what: string): void {
    this.log.push(`${new Date().toISOString()} ${what}`);
    if (this.log.length > 20) this.log.shift();
  }

  /** The lease is held and renewed within the fence bound: this host may run (and start) its HA items. */
  get holdsLease(): boolean {
    return this.lease !== undefined && performance.now() - this.lastOk < FENCE_MS;
  }

  /** A renewal sent at `sent` succeeded: the fence moves to FENCE_MS after it. */
  private renewed(sent: number): void {
    if (sent > this.lastOk) this.lastOk = sent;
    this.armFence();
  }

  private armFence(): void {
    clearTimeout(this.fenceTimer);
    if (!this.timers.length) return;
    const left = this.lastOk + FENCE_MS - performance.now();
    this.fenceTimer = setTimeout(() => {
      if (performance.now() - this.lastOk < FENCE_MS) return this.armFence();
      void this.ha.fence(`lease not renewed for ${FENCE_MS / 1000} s`).finally(() => {
        // Still not renewed: look again (an item whose start was under way is killed too); often
        // at first, then seldom (etcd may stay away for long).
        if (this.timers.length && performance.now() - this.lastOk >= FENCE_MS) {
          this.fenceTimer = setTimeout(() => this.armFence(), performance.now() - this.lastOk < FENCE_MS + 10_000 ? REFENCE_MS : 10 * REFENCE_MS);
          this.fenceTimer.unref?.();
        }
      });
    }, Math.max(0, left));
    this.fenceTimer.unref?.();
  }

  /** Three loops: the lease's renewals are never held up by slow work (a capsule being created), nor HA takeovers by a deployment. */
  start(): void {
    if (this.timers.length) return;
    // Nothing runs here for the cluster before the first renewal (holdsLease is false until then).
    this.lastOk = -FENCE_MS;
    const every = (which: 'lease' | 'work' | 'deploy', fn: () => Promise<void>) => {
      const run = () => {
        if (this.busy[which]) return;
        this.busy[which] = true;
        void fn().finally(() => (this.busy[which] = false));
      };
      const t = setInterval(run, TICK_MS);
      t.unref?.();
      this.timers.push(t);
      this.runners[which] = run;
      run();
    };
    this.watch();
    every('lease', () => this.leaseTick());
    every('work', () => this.workTick());
    every('deploy', () => this.deployTick());
  }

  /** Stops renewing; `revoke` ends the lease now (leave, clean shutdown) instead of letting it expire. */
  async stop(revoke: boolean): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    clearTimeout(this.fenceTimer);
    this.watching?.abort();
    while (this.busy.lease || this.busy.work || this.busy.deploy) await new Promise((r) => setTimeout(r, 20));
    if (revoke && this.lease) await this.client.revoke(this.lease).catch(() => undefined);
    this.lease = undefined;
  }

  private async leaseTick(): Promise<void> {
    this.ticks++;
    try {
      await this.renew();
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
      // The watchdog fences FENCE_MS after the last good renewal; past the TTL the lease is gone for sure.
      if (performance.now() - this.lastOk > LEASE_TTL_S * 1000) this.lease = undefined;
      // One slow renewal must not cost the HA items: try again soon, not a whole tick later.
      else if (this.timers.length) setTimeout(() => this.runners.lease?.(), RETRY_MS).unref?.();
    }
  }

  private async workTick(): Promise<void> {
    try {
      // Gone from the cluster behind this engine's back (leave from another process): stop here.
      if (!(await readConfig(this.engine.paths))) return;
      if (this.config.mode === 'managed' && !(await memberPid(this.engine.paths))) {
        // The data dir exists after the first start: etcd ignores the initial-cluster flags then.
        await startMember(this.engine.paths, this.config, `${this.config.name}=${peerUrl(this.config)}`, 'existing');
        this.note(`restarted etcd member`);
      }
      if (this.workTicks++ % CERT_EVERY === 0) {
        const r = await renewIfDue(this.engine, this.config, this.client);
        if (r) this.note(`renewed this host's certificate (serial ${r.serial}, valid until ${new Date(r.notAfter).toISOString()})`);
      }
      await this.publish().catch((e: unknown) => {
        this.published.force = true;
        throw e;
      });
      if (this.holdsLease) await this.reconcile();
    } catch (e) {
      const msg = (e as Error).message;
      if (!this.log.at(-1)?.endsWith(msg)) this.note(`error: ${msg}`);
    }
  }

  /**
   * One etcd watch of the cluster's keys instead of reading them every tick: a change to the
   * items or to a host's alive key (a lease expired: fence and take over now) wakes the work
   * loop, a deploy request wakes the deploy loop. A broken stream reconnects by itself; both
   * read again then.
   */
  private watch(): void {
    const k = keys(this.config.cluster);
    this.watching = new AbortController();
    const wake = (which: 'view' | 'deploy') => {
      this.dirty[which] = true;
      this.runners[which === 'view' ? 'work' : 'deploy']?.();
    };
    this.client.watch(k.root, 0, (e) => {
      const key = e.kv.key;
      if (key === k.settings) {
        this.published.settingsDirty = true;
        this.published.force = true;
      } else if (key.startsWith(k.deploys)) wake('deploy');
      else if (key.startsWith(k.items) || (key.startsWith(k.hosts) && key.endsWith('/alive'))) wake('view');
    }, this.watching.signal, () => {
      this.dirty.view = true;
      this.dirty.deploy = true;
    });
  }

  private async deployTick(): Promise<void> {
    if (!this.holdsLease) return;
    // Requests come by the watch; one look every SAFETY_EVERY ticks anyway.
    if (!this.dirty.deploy && this.deployTicks++ % SAFETY_EVERY !== 0) return;
    this.dirty.deploy = false;
    try {
      await this.deployer.tick(() => this.reconcile(true));
    } catch (e) {
      this.dirty.deploy = true;
      const msg = (e as Error).message;
      if (!this.log.at(-1)?.endsWith(msg)) this.note(`error: ${msg}`);
    }
  }

  private async renew(): Promise<void> {
    const k = keys(this.config.cluster);
    if (this.lease) {
      const sent = performance.now();
      const ttl = await this.client.keepAlive(this.lease, 1000).catch((e: unknown) => {
        if (e instanceof EtcdError && /not found/i.test(e.message)) return 0;
        throw e;
      });
      if (ttl > 0) {
        this.renewed(sent);
        // Now and then: is the alive key still there (a leave from another process deletes it)?
        if (this.ticks % CAPACITY_EVERY !== 0) return;
      } else {
        // The lease expired while renewals were slow (or was revoked): survivors may be taking our
        // HA items over right now. They go before anything else, before a new lease.
        this.lastOk = -FENCE_MS;
        await this.ha.fence(`lease ${this.lease} gone (expired while renewals were slow)`);
        this.lease = undefined;
      }
    }
    if (!this.lease || !(await this.client.get(k.alive(this.config.name)))) {
      const sent = performance.now();
      const lease = await this.client.grant(LEASE_TTL_S);
      await this.client.put(k.alive(this.config.name), JSON.stringify({ pid: process.pid, at: Date.now() }), lease);
      this.lease = lease;
      this.leaseGen++;
      // Read who owns what again, after the alive key is back: a takeover after it cannot succeed,
      // one before it shows in the read.
      this.dirty.view = true;
      this.renewed(sent);
      // The capacity key is bound to the lease: published again under the new one, by the work loop.
      this.published.force = true;
      this.runners.work?.();
    }
  }

  /**
   * This host's info and capacity, by the work loop (never in the way of a renewal): computed
   * every CAPACITY_EVERY ticks, put only when it changed (free memory to 64 MiB, free disk to
   * 256 MiB), under a new lease, or every PUBLISH_ANYWAY_MS. GPUs and the accelerator are read
   * again every 20th time; the shared storage setting when the watch saw it change.
   */
  private async publish(): Promise<void> {
    const p = this.published;
    if (!this.lease || (!p.force && this.workTicks % CAPACITY_EVERY !== 0)) return;
    const k = keys(this.config.cluster);
    const lease = this.lease;
    if (p.settingsDirty || p.count % 20 === 0) {
      p.settingsDirty = false;
      p.shared = await seesShared((await readSettings(this.client, this.config.cluster)).sharedStorage);
    }
    const cap = { ...(await capacity(this.engine, this.config, p.count++ % 20 === 0 ? undefined : p.statics)), ...(p.shared ? { sharedStorage: p.shared } : {}) };
    p.statics = { gpus: cap.gpus, accelerator: cap.accelerator };
    const sig = JSON.stringify({ ...cap, at: 0, memoryAvailableBytes: Math.round(cap.memoryAvailableBytes / 2 ** 26), diskFreeBytes: Math.round(cap.diskFreeBytes / 2 ** 28) });
    if (!p.force && sig === p.sig && Date.now() - p.at < PUBLISH_ANYWAY_MS) return;
    if (p.force || p.lease !== lease) {
      const info: HostInfo = { ...(this.config.address ? { address: this.config.address } : {}), version: NOVA_VERSION, labels: this.config.labels, member: this.config.mode === 'managed' };
      await this.client.put(k.info(this.config.name), JSON.stringify(info));
    }
    await this.client.put(k.capacity(this.config.name), JSON.stringify(cap), lease);
    Object.assign(p, { force: false, sig, at: Date.now(), lease });
  }

  /** `orphans`: also remove local HA copies whose item was released (`nova down --cluster`); every tick when HA items exist, else every 10th. */
  private reconcile(orphans = false): Promise<void> {
    // The work loop and the deploy loop both reconcile: one at a time.
    const run = this.reconciling.then(() => this.reconcileNow(orphans));
    this.reconciling = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(orphans: boolean): Promise<void> {
    const gen = this.leaseGen;
    // The view is read again only when the watch says it changed (and every SAFETY_EVERY ticks):
    // an idle cluster costs one lease renewal per tick, not four reads.
    const fresh = this.dirty.view || !this.view || orphans || this.workTicks % SAFETY_EVERY === 0;
    if (fresh) {
      this.dirty.view = false;
      try {
        this.view = await readView(this.client, this.config.cluster);
      } catch (e) {
        this.dirty.view = true;
        throw e;
      }
    }
    const view = this.view!;
    const ha = [...view.items.entries()].filter(([, i]) => i.record.ha && (i.record.kind === 'capsule' ? i.record.spec : i.record.vm));
    if (!ha.length && !fresh) return;
    const me = this.config.name;
    for (const [id, item] of ha) {
      const owner = view.hosts.get(item.record.host);
      if (item.record.host !== me && !owner?.alive) {
        const moved = await takeOver(this.client, this.config.cluster, view, id, () => this.engine.clock.now());
        if (moved) {
          this.note(`moved ${id} from ${item.record.host} to ${moved.host}`);
          item.record = moved;
        }
      }
    }
    await this.ha.reconcile(ha, gen);
  }

  /** May this host start an item now? Only under the lease a reconcile began with, renewed within the fence bound. */
  private mayStart(gen: number): boolean {
    return gen === this.leaseGen && this.holdsLease && this.timers.length > 0;
  }
}
