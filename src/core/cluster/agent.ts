// What a long-running engine (the app, `nova serve`) does for the cluster, every 1.5 s:
// - keeps this host's etcd member running (managed mode; restarted when it died),
// - holds a lease (TTL 5 s) with this host's alive key and renews it; every call has a deadline,
//   and when etcd does not answer the host keeps working and the status says degraded,
// - publishes its capacity (every 15 s, and at once when the lease is new),
// - moves HA capsules of hosts whose lease is gone (fenced by CAS, see placement.takeOver),
// - renews this host's certificate when it has less than 30 days left (certs.ts),
// - runs the HA capsules this host owns and stops local copies of ones another host now owns
//   (a host that comes back never runs an item twice); after losing its own lease for longer
//   than the TTL it stops its HA capsules itself (they are being started elsewhere).
import { statfs } from 'node:fs/promises';
import type { EngineContext } from '../context.js';
import { NOVA_VERSION } from '../host/probe.js';
import type { ClusterConfig } from './config.js';
import { keys, readConfig } from './config.js';
import type { EtcdClient } from './etcd.js';
import { renewIfDue } from './certs.js';
import { DeployWorker } from './deploy-agent.js';
import { memberPid, peerUrl, startMember } from './member.js';
import type { Capacity, HostInfo, ItemRecord } from './placement.js';
import { readView, takeOver } from './placement.js';

export const LEASE_TTL_S = 5;
const TICK_MS = 1500;
const CAPACITY_EVERY = 10;
/** Ticks between looks at this host's certificate's expiry (15 s). */
const CERT_EVERY = 10;
/** Ticks between reads of the cluster's view and deploy requests when the watch reported nothing (30 s). */
const SAFETY_EVERY = 20;
/** The project HA capsules are created in (so `nova ls` shows where they come from). */
export const CLUSTER_PROJECT = 'cluster';

export class ClusterAgent {
  private timers: NodeJS.Timeout[] = [];
  private lease: string | undefined;
  private ticks = 0;
  private workTicks = 0;
  private lastOk = 0;
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
  }

  private note(what: string): void {
    this.log.push(`${new Date().toISOString()} ${what}`);
    if (this.log.length > 20) this.log.shift();
  }

  get holdsLease(): boolean {
    return this.lease !== undefined && Date.now() - this.lastOk < LEASE_TTL_S * 1000;
  }

  /** Three loops: the lease's renewals are never held up by slow work (a capsule being created), nor HA takeovers by a deployment. */
  start(): void {
    if (this.timers.length) return;
    this.lastOk = Date.now();
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
    this.watching?.abort();
    while (this.busy.lease || this.busy.work || this.busy.deploy) await new Promise((r) => setTimeout(r, 20));
    if (revoke && this.lease) await this.client.revoke(this.lease).catch(() => undefined);
    this.lease = undefined;
  }

  private async leaseTick(): Promise<void> {
    this.ticks++;
    try {
      await this.renew();
      this.lastOk = Date.now();
      this.lastError = undefined;
    } catch (e) {
      this.lastError = (e as Error).message;
      // Lease lost for longer than its TTL: others may have taken our HA items — stop them here.
      if (Date.now() - this.lastOk > LEASE_TTL_S * 1000) {
        this.lease = undefined;
        await this.selfFence().catch(() => undefined);
      }
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
      if (key.startsWith(k.deploys)) wake('deploy');
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
    if (this.lease && (await this.client.keepAlive(this.lease, 1000)) > 0 && this.ticks % CAPACITY_EVERY !== 0) return;
    if (!this.lease || !(await this.client.get(k.alive(this.config.name)))) {
      const lease = await this.client.grant(LEASE_TTL_S);
      await this.client.put(k.alive(this.config.name), JSON.stringify({ pid: process.pid, at: Date.now() }), lease);
      this.lease = lease;
    }
    const info: HostInfo = { ...(this.config.address ? { address: this.config.address } : {}), version: NOVA_VERSION, labels: this.config.labels, member: this.config.mode === 'managed' };
    await this.client.put(k.info(this.config.name), JSON.stringify(info));
    await this.client.put(k.capacity(this.config.name), JSON.stringify(await capacity(this.engine, this.config)), this.lease);
  }

  /** `orphans`: also remove local HA copies whose item was released (`nova down --cluster`); every tick when HA items exist, else every 10th. */
  private reconcile(orphans = false): Promise<void> {
    // The work loop and the deploy loop both reconcile: one at a time.
    const run = this.reconciling.then(() => this.reconcileNow(orphans));
    this.reconciling = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(orphans: boolean): Promise<void> {
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
    const ha = [...view.items.entries()].filter(([, i]) => i.record.ha && i.record.kind === 'capsule' && i.record.spec);
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
    const local = await this.engine.call('capsule.list', { project: CLUSTER_PROJECT });
    for (const [, { record }] of ha) {
      const here = local.items.find((c) => c.name === record.name);
      if (record.host === me) await this.runHere(record, here?.state);
      else if (here) {
        // Another host owns it now: this copy must not run (a host that came back).
        await this.engine.call('capsule.rm', { name: record.name, force: true });
        this.note(`removed capsule/${record.name}: owned by ${record.host}`);
      }
    }
    for (const c of local.items.filter((x) => !ha.some(([, i]) => i.record.name === x.name))) {
      await this.engine.call('capsule.rm', { name: c.name, force: true });
      this.note(`removed capsule/${c.name}: released from the cluster`);
    }
  }

  private async runHere(record: ItemRecord, state: string | undefined): Promise<void> {
    if (state === 'running') return;
    // The cluster restarts HA capsules, not the local supervisor: a host that returns must not
    // start one by itself before it has asked etcd who owns it.
    const spec = { ...record.spec!, restart: 'no' as const };
    if (state === undefined) await this.engine.call('capsule.create', { name: record.name, spec, project: CLUSTER_PROJECT, start: true });
    else await this.engine.call('capsule.start', { name: record.name });
    this.note(`started capsule/${record.name}`);
  }

  /** Stops every local HA capsule of the cluster project (its lease is gone: it may run elsewhere). */
  private async selfFence(): Promise<void> {
    const local = await this.engine.call('capsule.list', { project: CLUSTER_PROJECT });
    for (const c of local.items.filter((x) => x.state === 'running')) {
      await this.engine.call('capsule.kill', { name: c.name, signal: 'SIGKILL' }).catch(() => undefined);
      this.note(`fenced capsule/${c.name}: lease lost`);
    }
  }
}

/** This host's capacity as the cluster sees it (what placement books against). */
export async function capacity(engine: EngineContext, c: ClusterConfig): Promise<Capacity> {
  const [usage, info, nets, gpus, fs] = await Promise.all([
    engine.call('host.usage', {}),
    engine.call('host.info', {}).catch(() => undefined),
    engine.call('network.list', {}).catch(() => ({ items: [] })),
    engine.call('gpu.list', {}).catch(() => ({ gpus: [] })),
    statfs(engine.paths.data).catch(() => undefined),
  ]);
  return {
    cpus: usage.cpus,
    memoryTotalBytes: usage.memoryTotalBytes,
    memoryAvailableBytes: usage.memoryAvailableBytes,
    allocatableMemoryBytes: c.allocatable?.memoryBytes ?? usage.memoryTotalBytes,
    allocatableCpus: c.allocatable?.cpus ?? usage.cpus,
    diskFreeBytes: fs ? fs.bavail * fs.bsize : 0,
    gpus: gpus.gpus.length,
    networks: nets.items.map((n) => n.name),
    accelerator: info?.accelerator.kind ?? 'none',
    at: Date.now(),
  };
}
