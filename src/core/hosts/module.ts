import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { RemoteHost } from '../../shared/contract/hosts.js';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext, EngineModule } from '../context.js';
import { NOVA_VERSION } from '../host/probe.js';
import { HostSampler, hostSampleValues } from '../host/stats.js';
import { gatherPreflight } from './gather.js';
import { scanKeys } from './keys.js';
import { preflightCarries, preflightProblems } from './preflight.js';
import type { RemoteConnection } from './remote.js';
import { getHost, hostsDir, knownHostsFile, listHosts, updateHosts } from './store.js';
import type { StoredHost } from './store.js';
import { parseSshUrl, sshUrlOf } from './url.js';
import { vmContext } from '../vm/module.js';
import type { VmContext } from '../vm/context.js';
import { IncomingWatch } from '../vm/xmigrate/lease.js';
import { commitIncoming, dropIncoming, incomingStatus, readIncoming, receiveIncoming } from '../vm/xmigrate/target.js';
import { CrossHostMigrator } from './xmigrate.js';
import { HostWatch } from './watch.js';

// Remote Nova hosts: add (pin the confirmed key, then reach the API), list (each host probed in
// parallel, an unreachable one answers with its reason within the deadline), remove, and calls
// to a host's engine over one kept connection per host (reopened on the next call once it drops).

const PROBE_DEADLINE_MS = 8_000;
const HOST_METRICS_EVERY_MS = 2_000;

async function usage() {
  const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? NaN) * 1024;
  const cpus = os.cpus().length;
  const load1 = os.loadavg()[0] ?? 0;
  const available = kb('MemAvailable');
  return {
    version: NOVA_VERSION,
    hostname: os.hostname(),
    cpus,
    load1,
    cpuFree: Math.max(0, Math.round((cpus - load1) * 100) / 100),
    memoryTotalBytes: os.totalmem(),
    memoryAvailableBytes: Number.isFinite(available) ? available : os.freemem(),
  };
}

function withDeadline<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new NovaError('TIMEOUT', why)), ms)))]).finally(() => clearTimeout(timer));
}

/** One connection per host, opened on first use; a dropped one is forgotten and reopened next time. */
export class HostPool {
  private conns = new Map<string, Promise<RemoteConnection>>();

  constructor(private engine: EngineContext) {}

  connection(host: StoredHost): Promise<RemoteConnection> {
    const known = this.conns.get(host.name);
    if (known) return known;
    // ws loads only when a remote host is used, not for every command.
    const opening = import('./remote.js').then(({ RemoteConnection }) =>
      RemoteConnection.open(host.name, host, knownHostsFile(this.engine.paths), join(this.engine.paths.runtime, 'hosts')),
    );
    this.conns.set(host.name, opening);
    opening.then(
      (c) => void c.down.then(() => this.conns.get(host.name) === opening && this.conns.delete(host.name)),
      () => this.conns.get(host.name) === opening && this.conns.delete(host.name),
    );
    return opening;
  }

  async call(name: string, method: string, input: unknown, timeoutMs?: number): Promise<unknown> {
    const conn = await this.connection(await getHost(this.engine.paths, name));
    return conn.call(method, input, timeoutMs);
  }

  async drop(name: string): Promise<void> {
    const c = this.conns.get(name);
    this.conns.delete(name);
    await c?.then((x) => x.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.conns.keys()].map((n) => this.drop(n)));
  }

  /** The host as stored, not probed. */
  stored(h: StoredHost): RemoteHost {
    return { name: h.name, url: sshUrlOf(h), user: h.user, address: h.address, port: h.port, socket: h.socket, keys: h.keys.map(({ type, fingerprint }) => ({ type, fingerprint })), addedAt: h.addedAt, reachable: false };
  }

  /** The host as stored, plus what it answers now (or why it does not). */
  async describe(h: StoredHost): Promise<RemoteHost> {
    const base = this.stored(h);
    try {
      return await withDeadline(
        (async () => {
          const conn = await this.connection(h);
          const t = performance.now();
          const u = (await conn.call('host.usage', {}, PROBE_DEADLINE_MS)) as Awaited<ReturnType<typeof usage>>;
          const latencyMs = Math.round((performance.now() - t) * 100) / 100;
          const info = (await conn.call('host.info', {}, PROBE_DEADLINE_MS)) as { accelerator: { kind: 'kvm' | 'tcg' | 'none' } };
          return { ...base, reachable: true, version: u.version, hostname: u.hostname, accelerator: info.accelerator.kind, usage: u, latencyMs };
        })(),
        PROBE_DEADLINE_MS,
        `host "${h.name}" did not answer within ${PROBE_DEADLINE_MS / 1000}s`,
      );
    } catch (e) {
      return { ...base, reachable: false, error: (e as Error).message };
    }
  }
}

export const hostsModule: EngineModule = {
  name: 'hosts',
  install(engine) {
    const d = engine.dispatcher;
    const pool = new HostPool(engine);
    d.handle('host.usage', () => usage());
    const sampler = new HostSampler();
    d.handle('host.stats', () => sampler.sample());
    let timer: NodeJS.Timeout | undefined;
    let offAudience: (() => void) | undefined;
    // Remote hosts' events, pushed while someone watches this engine (watch.ts).
    const hostWatch = new HostWatch({
      hosts: () => listHosts(engine.paths),
      connect: (h) => pool.connection(h),
      emitEvent: (host, event, payload) => engine.bus.emit('host.event', { host, event, payload }),
      emitState: (host, reachable, error) => engine.bus.emit('host.state', { host, reachable, ...(error ? { error } : {}) }),
    });
    const resyncHosts = () => void (hostWatch.active ? hostWatch.sync() : undefined);
    d.handle('host.list', async (i) => {
      const hosts = (await listHosts(engine.paths)).filter((h) => !i.name || h.name === i.name);
      if (i.name && !hosts.length) await getHost(engine.paths, i.name); // NOT_FOUND with the fix
      return { items: await Promise.all(hosts.map((h) => (i.probe === false ? pool.stored(h) : pool.describe(h)))) };
    });
    d.handle('host.scan', async (i) => {
      const t = parseSshUrl(i.url);
      const keys = await scanKeys(engine.runner, t.address, t.port);
      return { address: t.address, port: t.port, keys: keys.map(({ type, fingerprint }) => ({ type, fingerprint })) };
    });
    d.handle('host.add', async (i) => {
      const target = parseSshUrl(i.url);
      if ((await listHosts(engine.paths)).some((h) => h.name === i.name)) throw new NovaError('CONFLICT', `host "${i.name}" already exists: remove it first with \`nova host rm ${i.name}\``, { field: 'name' });
      const keys = await scanKeys(engine.runner, target.address, target.port);
      if (!keys.some((k) => k.fingerprint === i.fingerprint)) {
        throw new NovaError('PERMISSION', `${target.address} offers ${keys.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}, not the confirmed ${i.fingerprint}: nothing was pinned (check the fingerprint with the host's owner: \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` there)`, { field: 'fingerprint' });
      }
      const host: StoredHost = { name: i.name, ...target, keys, addedAt: engine.clock.now() };
      await mkdir(hostsDir(engine.paths), { recursive: true, mode: 0o700 });
      // Recorded first (the pinned key is what ssh checks); forgotten again if the host cannot be reached.
      await updateHosts(engine.paths, (hosts) => [...hosts.filter((h) => h.name !== i.name), host]);
      const described = await pool.describe(host);
      if (!described.reachable) {
        await pool.drop(i.name);
        await updateHosts(engine.paths, (hosts) => hosts.filter((h) => h.name !== i.name));
        throw new NovaError('HOST_UNSUPPORTED', `host "${i.name}" was not added: ${described.error ?? 'unreachable'}`, { field: 'url' });
      }
      engine.bus.emit('notification', { level: 'info', title: `Host ${i.name} added`, body: `${described.hostname ?? target.address}, Nova ${described.version ?? '?'}` });
      resyncHosts();
      return described;
    });
    d.handle('host.remove', async (i) => {
      await getHost(engine.paths, i.name);
      await pool.drop(i.name);
      await updateHosts(engine.paths, (hosts) => hosts.filter((h) => h.name !== i.name));
      resyncHosts();
      return { name: i.name, removed: true };
    });
    d.handle('host.call', async (i) => {
      if (i.method.startsWith('host.') && !['host.info', 'host.usage'].includes(i.method)) {
        throw new NovaError('INVALID_INPUT', `method: ${i.method} manages this host's list of hosts; call it on this host, not through host.call`, { field: 'method' });
      }
      return { value: await pool.call(i.host, i.method, i.input ?? {}, i.timeoutMs) };
    });
    d.handle('vm.migrate.preflight', async (i) => {
      const facts = await gatherPreflight(engine, (method) => pool.call(i.to, method, {}, 15_000), i.name, i.to);
      const problems = preflightProblems(facts);
      const carries = preflightCarries(facts);
      return { name: i.name, to: i.to, ok: problems.length === 0, problems, memoryBytes: facts.vm.memoryBytes, diskBytes: facts.vm.diskBytes, networks: facts.vm.networks, ...(carries.length ? { carries } : {}) };
    });
    // Live migration to another host (#22): this engine as the source, and as the target.
    let vmCtx: VmContext | undefined;
    const vm = () => (vmCtx ??= vmContext(engine));
    const migrator = new CrossHostMigrator(engine, pool, vm);
    d.handle('vm.migrate.host', (i, c) => migrator.migrate({ name: i.name, to: i.to, transport: i.transport, ...(i.bandwidth ? { bandwidth: i.bandwidth } : {}), ...(i.downtimeMs ? { downtimeMs: i.downtimeMs } : {}) }, c.signal));
    d.handle('vm.migrate.recover', (i) => migrator.recover(i.name));
    // The target settles an attempt by itself once its source stops renewing the lease.
    const watch = new IncomingWatch(vm, undefined, (name, how) =>
      engine.bus.emit('notification', { level: 'warning', title: `Incoming migration of ${name} abandoned`, body: how === 'committed' ? 'the guest already ran here: it stays on this host' : how === 'stopped' ? 'the guest ran here, then its QEMU exited: it stays on this host, stopped' : 'its source stopped answering: the attempt was removed here' }),
    );
    d.handle('vm.xmigrate.receive', async (i) => {
      const ready = await receiveIncoming(vm(), { ...i, spec: i.spec });
      watch.touch(i.name, i.id);
      return ready;
    });
    d.handle('vm.xmigrate.commit', async (i) => {
      watch.touch(i.name, i.id);
      await commitIncoming(vm(), i.name, i.id, { ...(i.resume !== undefined ? { resume: i.resume } : {}) });
      watch.forget(i.name);
      return { name: i.name, owned: true };
    });
    d.handle('vm.xmigrate.cancel', async (i) => {
      const removed = await dropIncoming(vm(), i.name, i.id);
      watch.forget(i.name);
      return { name: i.name, removed };
    });
    d.handle('vm.xmigrate.alive', async (i) => {
      const incoming = (await readIncoming(vm(), i.name))?.id === i.id;
      if (incoming) watch.touch(i.name, i.id);
      return { name: i.name, incoming };
    });
    d.handle('vm.xmigrate.status', async (i) => {
      const st = await incomingStatus(vm(), i.name, i.id);
      if (st.incoming) watch.touch(i.name, i.id);
      return st;
    });
    return {
      // Long-running engines (the app, `nova serve`): the host's CPU and memory as metrics.sample
      // every few seconds while someone can see them (the app's window, a client of `nova
      // serve`, an in-process listener): an unwatched engine samples nothing (#24, idle cost).
      start: async () => {
        if (offAudience) return;
        await watch.adoptLeftovers().catch(() => undefined);
        const live = new HostSampler();
        const tick = () => void live.sample().then((s) => engine.bus.emit('metrics.sample', { kind: 'host', name: 'local', at: s.at, values: hostSampleValues(s) }), () => undefined);
        const follow = () => {
          if (engine.bus.wanted('host.event') !== hostWatch.active) {
            if (hostWatch.active) hostWatch.stop();
            else void hostWatch.sync();
          }
          const wanted = engine.bus.wanted('metrics.sample');
          if (wanted && !timer) {
            timer = setInterval(tick, HOST_METRICS_EVERY_MS);
            timer.unref();
            tick();
          } else if (!wanted && timer) {
            clearInterval(timer);
            timer = undefined;
          }
        };
        offAudience = engine.bus.onAudience(follow);
        follow();
      },
      close: async () => {
        offAudience?.();
        offAudience = undefined;
        hostWatch.stop();
        clearInterval(timer);
        timer = undefined;
        watch.stop();
        await pool.close();
      },
    };
  },
};
