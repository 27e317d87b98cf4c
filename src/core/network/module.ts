import { NovaError } from '../../shared/errors.js';
import type { Engine, EngineModule } from '../engine.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { attach, detach, requireNetwork } from './attach.js';
import { listCaptures, removeCapture, startCapture, stopCapture } from './capture.js';
import { netCtx } from './context.js';
import type { NetCtx } from './context.js';
import { readLeases } from './dnsmasq.js';
import { addForwards, removeForward } from './forwards.js';
import { hydrate } from './hydrate.js';
import { listLinks } from './links.js';
import { parseAlias } from './owner.js';
import { InterfaceMonitor } from './monitor.js';
import { createSwitch, hostView, removeSwitch, toInfo, updateSwitch } from './switches.js';
import { loadAll, loadNetwork } from './store.js';
import type { NetworkInfo } from '../../shared/contract/network.js';
import { targetOf } from './apply.js';
import { addRecord, removeRecord } from './records.js';

// The network area: handlers for the contract, rows for `nova ls`, hydrate + monitoring at
// engine start. One lock serializes every change (the nft table is shared by all switches).

const monitors = new WeakMap<Engine, InterfaceMonitor>();

export const networkModule: EngineModule = {
  name: 'network',
  install(engine) {
    const ctx = netCtx(engine);
    const d = engine.dispatcher;
    // Every change goes through here: root first (with a clear fix), then the one network lock.
    const locked = <T>(holder: string, fn: () => Promise<T>) => {
      if (process.getuid?.() !== 0) {
        throw new NovaError('PERMISSION', `${holder} changes host networking (bridges, nftables, dnsmasq) and needs root: run it with sudo, or through \`nova serve\` running as root`);
      }
      return withLock(lockPath(engine.paths, 'network', 'all'), fn, { holder, timeoutMs: 60_000 });
    };
    const publish = (info: NetworkInfo) => {
      const st = { name: info.name, state: info.state, ...(info.reason ? { reason: info.reason } : {}) };
      engine.bus.emit('network.state', st);
      engine.bus.emit('resource.changed', { kind: 'network', ...st });
      return info;
    };
    /** Derives the switch's state once, publishes it and returns it. */
    const changed = async (name: string): Promise<NetworkInfo | undefined> => {
      const n = await loadNetwork(ctx, name);
      if (!n) {
        engine.bus.emit('resource.changed', { kind: 'network', name, state: 'Deleted' });
        return undefined;
      }
      return publish(await toInfo(ctx, n, await hostView(ctx)));
    };
    const monitor = new InterfaceMonitor(ctx, { get: () => engine.prefs.get(), set: (k, v) => engine.prefs.set(k, v) }, async () => (await loadAll(ctx)).map((n) => n.name));
    monitors.set(engine, monitor);

    d.handle('network.create', async (i) => {
      const n = await locked(`network.create ${i.name}`, () => createSwitch(ctx, i.name, i.spec, i.project));
      return publish(await toInfo(ctx, n, await hostView(ctx)));
    });
    d.handle('network.update', async (i) => {
      const n = await locked(`network.update ${i.name}`, () => updateSwitch(ctx, i.name, i.spec, i.project));
      return publish(await toInfo(ctx, n, await hostView(ctx)));
    });
    d.handle('network.inspect', async (i) => toInfo(ctx, await requireNetwork(ctx, i.name), await hostView(ctx)));
    d.handle('network.list', async (i) => ({ items: await listInfos(ctx, i.project) }));
    d.handle('network.rm', async (i) => {
      await locked(`network.rm ${i.name}`, () => removeSwitch(ctx, i.name, i.force));
      await changed(i.name);
      return { ok: true as const };
    });
    d.handle('network.hydrate', async () => {
      const r = await locked('network.hydrate', () => hydrate(ctx));
      for (const info of await listInfos(ctx)) publish(info);
      return r;
    });
    d.handle('network.attach', async (i) => {
      const r = await locked(`network.attach ${i.network}`, () => attach(ctx, i));
      await changed(i.network);
      return r;
    });
    d.handle('network.detach', async (i) => {
      await locked(`network.detach ${i.network}`, () => detach(ctx, i.network, i.owner, i.release));
      await changed(i.network);
      return { ok: true as const };
    });
    d.handle('network.forward.add', async (i) => {
      await locked('network.forward.add', () => addForwards(ctx, i.network, i.owner, [i.port]));
      const n = await requireNetwork(ctx, i.network);
      const target = targetOf(n, i.owner);
      return { owner: i.owner, port: i.port, ...(target ? { target } : {}) };
    });
    d.handle('network.forward.rm', async (i) => {
      await locked('network.forward.rm', () => removeForward(ctx, i.network, i.owner, i.port));
      return { ok: true as const };
    });
    d.handle('network.forward.list', async (i) => ({
      items: (await loadAll(ctx))
        .filter((n) => !i.network || n.name === i.network)
        .flatMap((n) => n.forwards.map((f) => ({ network: n.name, ...f, ...(targetOf(n, f.owner) ? { target: targetOf(n, f.owner) } : {}) }))),
    }));
    d.handle('network.dns.add', async (i) => {
      await locked('network.dns.add', () => addRecord(ctx, i.network, i.record));
      return { ok: true as const };
    });
    d.handle('network.dns.rm', async (i) => {
      await locked('network.dns.rm', () => removeRecord(ctx, i.network, i.name));
      return { ok: true as const };
    });
    d.handle('network.interfaces', async () => ({
      items: (await listLinks(ctx))
        .filter((l) => !l.flags.includes('LOOPBACK'))
        .map((l) => ({
          name: l.ifname,
          ...(l.kind ? { kind: l.kind } : {}),
          state: l.operstate,
          ...(l.address ? { mac: l.address } : {}),
          addresses: l.addrs.map((a) => `${a.local}/${a.prefixlen}`),
          ...(l.master ? { master: l.master } : {}),
          nova: Boolean(parseAlias(ctx, l.ifalias)),
        })),
    }));
    d.handle('network.leases', async (i) => {
      const n = await requireNetwork(ctx, i.name);
      const dynamic = await readLeases(ctx, n.name);
      const statics = n.reservations.filter((r) => r.ip).map((r) => ({ mac: r.mac, ip: r.ip!, hostname: r.hostname, static: true }));
      return { items: [...statics, ...dynamic.filter((l) => !statics.some((s) => s.ip === l.ip)).map((l) => ({ ...l, static: false }))] };
    });
    d.handle('network.capture.start', (i) => locked(`network.capture.start ${i.network}`, () => startCapture(ctx, i)));
    d.handle('network.capture.stop', (i) => stopCapture(ctx, i.id));
    d.handle('network.capture.list', async (i) => ({ dir: ctx.capturesDir, items: await listCaptures(ctx, i.network) }));
    d.handle('network.capture.rm', async (i) => {
      await removeCapture(ctx, i.id);
      return { ok: true as const };
    });
    d.handle('network.monitor.list', async () => {
      await monitor.reconcile();
      return { items: monitor.list() };
    });
    d.handle('network.monitor.set', ({ interface: name, ...patch }) => monitor.set(name, patch));

    engine.resources.provide('network', async () =>
      (await listInfos(ctx)).map((n) => ({
        kind: 'network' as const,
        name: n.name,
        state: n.state,
        ...(n.reason ? { reason: n.reason } : {}),
        ...(n.project ? { project: n.project } : {}),
        detail: [n.spec.type, n.spec.profile ?? (n.spec.type === 'overlay' ? 'overlay' : 'nat'), n.subnet, `${n.attached} attached`].filter(Boolean).join(' · '),
      })),
    );
  },
  async start(engine) {
    const ctx = netCtx(engine);
    if (process.getuid?.() === 0) {
      const r = await withLock(lockPath(engine.paths, 'network', 'all'), () => hydrate(ctx), { holder: 'engine start (hydrate)' });
      for (const name of r.recreated) engine.bus.emit('notification', { level: 'info', title: `Network ${name} recreated`, body: `The bridge ${name} was missing and has been recreated.`, subject: name });
      for (const f of r.failed) engine.bus.emit('notification', { level: 'warning', title: `Network ${f.name} could not be repaired`, body: f.reason, subject: f.name });
    }
    const monitor = monitors.get(engine);
    await monitor?.start();
    // The app may change monitoring prefs directly (prefs.set): follow them at once.
    engine.bus.on('prefs.changed', () => void monitor?.reconcile().catch(() => undefined));
    watchers.set(engine, watchStates(engine, ctx));
  },
  async close(engine) {
    monitors.get(engine)?.stop();
    const w = watchers.get(engine);
    if (w) clearInterval(w);
  },
};

const watchers = new WeakMap<Engine, NodeJS.Timeout>();

/** While the engine runs (app, `nova serve`): publish state changes that happen behind Nova's back. */
function watchStates(engine: Engine, ctx: NetCtx): NodeJS.Timeout {
  const last = new Map<string, string>();
  const tick = async () => {
    for (const info of await listInfos(ctx)) {
      const key = `${info.state}|${info.reason ?? ''}`;
      if (last.has(info.name) && last.get(info.name) !== key) {
        const st = { name: info.name, state: info.state, ...(info.reason ? { reason: info.reason } : {}) };
        engine.bus.emit('network.state', st);
        engine.bus.emit('resource.changed', { kind: 'network', ...st });
        if (info.state !== 'Active') engine.bus.emit('notification', { level: 'warning', title: `Network ${info.name} is ${info.state}`, body: info.reason ?? '', subject: info.name });
      }
      last.set(info.name, key);
    }
  };
  void tick().catch(() => undefined);
  const t = setInterval(() => void tick().catch(() => undefined), 15_000);
  t.unref();
  return t;
}

async function listInfos(ctx: NetCtx, project?: string) {
  const nets = (await loadAll(ctx)).filter((n) => !project || n.project === project);
  if (!nets.length) return [];
  const view = await hostView(ctx);
  return Promise.all(nets.map((n) => toInfo(ctx, n, view)));
}
