// cluster.*: init / token / join / leave / status, placement (place / release / items), and the
// agent a long-running engine runs (lease, capacity, HA). Every etcd call has a deadline; when
// etcd does not answer, cluster.* says so (degraded) and the rest of Nova is untouched.
import type { ClusterStatus } from '../../shared/contract/cluster.js';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext, EngineModule } from '../context.js';
import { ClusterAgent } from './agent.js';
import { rotateHostCert } from './certs.js';
import { checkHaVm, readSettings, writeSettings } from './ha-vm.js';
import type { ClusterConfig } from './config.js';
import { readConfig, requireConfig, tlsOf } from './config.js';
import { EtcdClient } from './etcd.js';
import { memberPid } from './member.js';
import { lockPath } from '../sys/paths.js';
import { withLock } from '../sys/lock.js';
import { downDeploy, planDeploy, upDeploy } from './deploy.js';
import { initCluster, issueToken, joinCluster, leaveCluster } from './ops.js';
import { booked, place, readView, release, strip } from './placement.js';

interface Held {
  config: ClusterConfig;
  client: EtcdClient;
}

async function status(engine: EngineContext, held: Held | undefined, agent: ClusterAgent | undefined): Promise<ClusterStatus> {
  if (!held) return { joined: false, state: 'none', endpoints: [], members: [], hosts: [], events: [] };
  const { config, client } = held;
  const base = { joined: true, cluster: config.cluster, name: config.name, mode: config.mode, endpoints: config.endpoints };
  const pid = config.mode === 'managed' ? await memberPid(engine.paths) : undefined;
  const problems: string[] = [];
  if (config.mode === 'managed' && !pid) problems.push('this host\'s etcd member is not running (a running `nova serve` or app restarts it)');
  let members: ClusterStatus['members'] = [];
  let hosts: ClusterStatus['hosts'] = [];
  let leader: string | undefined;
  try {
    const [view, list] = await Promise.all([readView(client, config.cluster), config.mode === 'managed' ? client.members() : Promise.resolve([])]);
    members = list.map((m) => ({ ...m, started: m.name !== '' }));
    if (config.mode === 'managed') {
      const s = await client.status(config.endpoints[0]!, 1000).catch(() => undefined);
      leader = list.find((m) => m.id === s?.leader)?.name;
    }
    hosts = [...view.hosts.values()].map((h) => {
      const b = booked(h.alloc);
      return { name: h.name, alive: h.alive, ...(h.info?.address ? { address: h.info.address } : {}), ...(h.info?.version ? { version: h.info.version } : {}), labels: h.info?.labels ?? {}, ...(h.capacity ? { capacity: h.capacity } : {}), bookedMemoryBytes: b.memoryBytes, bookedCpus: b.cpus, items: Object.keys(h.alloc.items).length, member: h.info?.member ?? false };
    });
    if (!view.hosts.get(config.name)?.alive) problems.push(agent ? `this host's lease is not held${agent.lastError ? ` (${agent.lastError})` : ' yet'}` : 'this host is not alive in the cluster: nothing renews its lease (run `nova serve` or the app)');
  } catch (e) {
    problems.push(`${(e as Error).message}`);
  }
  return { ...base, state: problems.length ? 'degraded' : 'healthy', ...(problems.length ? { reason: problems.join('; ') } : {}), ...(pid ? { memberPid: pid } : {}), ...(leader ? { leader } : {}), members, hosts, events: agent ? [...agent.log] : [] };
}

export const clusterModule: EngineModule = {
  name: 'cluster',
  install(engine) {
    const d = engine.dispatcher;
    let held: Held | undefined;
    let agent: ClusterAgent | undefined;
    let longRunning = false;

    const load = async (): Promise<Held | undefined> => {
      if (held) return held;
      const config = await readConfig(engine.paths);
      if (!config) return undefined;
      held = { config, client: new EtcdClient(config.endpoints, await tlsOf(engine.paths, config)) };
      return held;
    };
    const need = async (): Promise<Held> => (await load()) ?? { config: await requireConfig(engine.paths), client: undefined as never };
    const drop = async (revoke: boolean) => {
      await agent?.stop(revoke);
      agent = undefined;
      held?.client.close();
      held = undefined;
    };
    const startAgent = async () => {
      const h = await load();
      if (!h || agent || !longRunning) return;
      agent = new ClusterAgent(engine, h.config, h.client);
      agent.start();
    };

    // init / join / leave of one host never overlap (one lock file per NOVA_HOME).
    const serial = <T>(fn: () => Promise<T>) => withLock(lockPath(engine.paths, 'cluster', 'membership'), fn, { timeoutMs: 60_000 });
    d.handle('cluster.init', async (i) => {
      await serial(() => initCluster(engine, { ...i, ...(i.allocatable ? { allocatable: i.allocatable } : {}) }));
      await startAgent();
      return status(engine, await load(), agent);
    });
    d.handle('cluster.join', async (i) => {
      await serial(() => joinCluster(engine, i.token, i.labels, i.allocatable));
      await startAgent();
      return status(engine, await load(), agent);
    });
    d.handle('cluster.token', async (i) => {
      const h = await need();
      const t = await issueToken(engine, h.config, h.client, i.name, i.address, i.ttlSeconds);
      return { ...t, name: i.name, address: i.address };
    });
    d.handle('cluster.leave', async () => {
      const h = await need();
      // The lease first: a tick after the keys are deleted would put them back.
      await agent?.stop(true);
      agent = undefined;
      try {
        await serial(() => leaveCluster(engine, h.config, h.client));
      } catch (e) {
        await startAgent();
        throw e;
      }
      await drop(true);
      return { name: h.config.name, cluster: h.config.cluster, left: true };
    });
    d.handle('cluster.rotateCerts', async (i) => {
      const h = await need();
      return serial(() => rotateHostCert(engine, h.config, h.client, i.days));
    });
    d.handle('cluster.status', async () => status(engine, await load(), agent));
    d.handle('cluster.place', async (i) => {
      const h = await need();
      if (i.ha && i.kind === 'capsule' && !i.spec) throw new NovaError('INVALID_INPUT', 'spec: an HA capsule needs its [container] spec (what another host creates when this one fails)', { field: 'spec' });
      const relative = i.spec && [['spec.capsule', i.spec.capsule], ...i.spec.volumes.map((v, n) => [`spec.volumes[${n}]`, v])].find(([, v]) => /^\.\.?\//.test(v!));
      if (relative) throw new NovaError('INVALID_INPUT', `${relative[0]}: ${relative[1]} is relative, and another host has no such folder: use an image reference or an absolute path that exists on every host`, { field: relative[0] });
      // An HA VM: only with its files in the cluster's shared storage, onto hosts that see it.
      const shared = i.ha && i.kind === 'vm' ? checkHaVm(await readSettings(h.client, h.config.cluster), i.vm) : undefined;
      return place(h.client, h.config.cluster, { kind: i.kind, name: i.name, memoryBytes: i.memory, cpus: i.cpus, host: i.host, strategy: i.strategy, require: i.require, ha: i.ha, ...(i.spec ? { spec: i.spec } : {}), ...(shared ? { vm: i.vm!, needsShared: shared } : {}) }, () => engine.clock.now(), i.dryRun);
    });
    d.handle('cluster.set', async (i) => {
      const h = await need();
      const next = { ...(await readSettings(h.client, h.config.cluster)) };
      if (i.sharedStorage === null) delete next.sharedStorage;
      else next.sharedStorage = i.sharedStorage;
      await writeSettings(h.client, h.config.cluster, next);
      return next;
    });
    d.handle('cluster.release', async (i) => {
      const h = await need();
      return { kind: i.kind, name: i.name, released: await release(h.client, h.config.cluster, i.kind, i.name) };
    });
    d.handle('cluster.items', async () => {
      const h = await need();
      const view = await readView(h.client, h.config.cluster);
      return { items: [...view.items.values()].map((x) => strip(x.record)).sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name)) };
    });
    d.handle('cluster.plan', async (i) => {
      const h = await need();
      return planDeploy(h.client, h.config, i);
    });
    d.handle('cluster.up', async (i) => {
      const h = await need();
      return engine.tasks.run(`nova up --cluster`, () => upDeploy(engine, h.client, h.config, i));
    });
    d.handle('cluster.down', async (i) => {
      const h = await need();
      return engine.tasks.run(`nova down --cluster`, () => downDeploy(engine, h.client, h.config, i));
    });
    return {
      async start() {
        longRunning = true;
        await startAgent().catch(() => undefined);
      },
      // A clean stop lets the lease expire (TTL) rather than revoking it: a restart of `nova serve`
      // within seconds must not look like a dead host to the others.
      close: () => drop(false),
    };
  },
};
