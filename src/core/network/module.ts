import type { EngineContext, EngineModule } from '../context.js';
import { networkRow } from './rows.js';
import { listCaptures, removeCapture } from './capture.js';
import { netCtx } from './context.js';
import { listLinks } from './links.js';
import { parseAlias } from './owner.js';
import { InterfaceMonitor } from './monitor.js';
import { loadAll } from './store.js';
import { superviseOverlays } from './overlay/supervise.js';
import { overlaySupport } from './overlay/index.js';
import type { NetworkInfo } from '../../shared/contract/network.js';

// The network area: handlers for the contract, rows for `nova ls`, hydrate + monitoring at
// engine start.

export const networkModule: EngineModule = {
  name: 'network',
  install(engine) {
    const ctx = netCtx(engine);
    const d = engine.dispatcher;
    // Host changes go through the Privileged interface: this process itself when it holds
    // CAP_NET_ADMIN, `nova privd` otherwise (the guard has checked one of them is there).
    const ops = () => engine.privileged.network;
    const publish = (info: NetworkInfo) => {
      const st = { name: info.name, state: info.state, ...(info.reason ? { reason: info.reason } : {}) };
      engine.bus.emit('network.state', st);
      engine.bus.emit('resource.changed', { kind: 'network', ...st });
      return info;
    };
    /** Derives the switch's state once, publishes it and returns it. */
    const changed = async (name: string): Promise<NetworkInfo | undefined> => {
      const info = await ops().inspect(name).catch((e: { code?: string }) => {
        if (e.code === 'NOT_FOUND') return undefined;
        throw e;
      });
      if (!info) {
        engine.bus.emit('resource.changed', { kind: 'network', name, state: 'Deleted' });
        return undefined;
      }
      return publish(info);
    };
    const monitor = new InterfaceMonitor(ctx, { get: () => engine.prefs.get(), set: (k, v) => engine.prefs.set(k, v) }, async () => (await loadAll(ctx)).map((n) => n.name));
    const listInfos = (project?: string) => ops().list(project);

    d.handle('network.create', async (i) => publish(await ops().create(i.name, i.spec, i.project)));
    d.handle('network.update', async (i) => publish(await ops().update(i.name, i.spec, i.project)));
    d.handle('network.inspect', async (i) => ops().inspect(i.name));
    d.handle('network.list', async (i) => ({ items: await listInfos(i.project) }));
    d.handle('network.drivers', async () => ({ drivers: await overlaySupport((argv, o) => engine.runner.run(argv, o)) }));
    d.handle('network.rm', async (i) => {
      await ops().remove(i.name, i.force);
      await changed(i.name);
      return { ok: true as const };
    });
    d.handle('network.hydrate', async () => {
      const o = ops();
      const { report, infos } = o.hydrateListed ? await o.hydrateListed() : { report: await o.hydrate(), infos: await listInfos() };
      for (const info of infos) publish(info);
      return report;
    });
    d.handle('network.attach', async (i) => {
      const r = await ops().attach(i);
      await changed(i.network);
      return r;
    });
    d.handle('network.detach', async (i) => {
      await ops().detach(i.network, i.owner, i.release);
      await changed(i.network);
      return { ok: true as const };
    });
    d.handle('network.forward.add', async (i) => {
      await ops().addForward(i.network, i.owner, i.port);
      const target = (await ops().inspect(i.network)).attachments.find((a) => a.owner.kind === i.owner.kind && a.owner.name === i.owner.name)?.ip;
      return { owner: i.owner, port: i.port, ...(target ? { target } : {}) };
    });
    d.handle('network.forward.rm', async (i) => {
      await ops().removeForward(i.network, i.owner, i.port);
      return { ok: true as const };
    });
    d.handle('network.forward.list', async (i) => ({
      items: (await listInfos()).filter((n) => !i.network || n.name === i.network).flatMap((n) => n.forwards.map((f) => ({ network: n.name, ...f }))),
    }));
    d.handle('network.dns.add', async (i) => {
      await ops().addRecord(i.network, i.record);
      return { ok: true as const };
    });
    d.handle('network.dns.rm', async (i) => {
      await ops().removeRecord(i.network, i.name);
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
    d.handle('network.leases', async (i) => ({ items: await ops().leases(i.name) }));
    d.handle('network.capture.start', (i) => ops().startCapture(i));
    d.handle('network.capture.stop', (i) => ops().stopCapture(i.id));
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

    engine.resources.provide('network', async () => (await listInfos().catch(() => [])).map(networkRow));
    let watcher: NodeJS.Timeout | undefined;
    let stopReconcile: (() => void) | undefined;
    let stopSupervisor: (() => void) | undefined;
    return {
      start: async () => {
        // Through the helper, `nova privd` hydrates at its own start (boot), for every user.
        const direct = ops();
        if (direct.via === 'direct') {
          const r = await direct.hydrate();
          for (const name of r.recreated) engine.bus.emit('notification', { level: 'info', title: `Network ${name} recreated`, body: `The bridge ${name} was missing and has been recreated.`, subject: name });
          for (const f of r.failed) engine.bus.emit('notification', { level: 'warning', title: `Network ${f.name} could not be repaired`, body: f.reason, subject: f.name });
          // Tunnels that die while the engine runs come back at once (privd supervises its own).
          stopSupervisor = superviseOverlays(ctx, {
            onRepaired: (name) => void changed(name).then(() => engine.bus.emit('notification', { level: 'info', title: `Overlay ${name} tunnel restarted`, body: 'The tunnel process had exited; it was restarted with its links.', subject: name })),
            onFailed: (name, reason) => engine.bus.emit('notification', { level: 'warning', title: `Overlay ${name} tunnel could not be restarted`, body: reason, subject: name }),
          });
        }
        await monitor.start();
        // The app may change monitoring prefs directly (prefs.set): follow them at once.
        stopReconcile = engine.bus.on('prefs.changed', () => void monitor.reconcile().catch(() => undefined));
        watcher = watchStates(engine, () => ops().list());
      },
      close: async () => {
        monitor.stop();
        stopReconcile?.();
        stopSupervisor?.();
        if (watcher) clearInterval(watcher);
      },
    };
  },
};


/** While the engine runs (app, `nova serve`): publish state changes that happen behind Nova's back. */
function watchStates(engine: EngineContext, listInfos: () => Promise<NetworkInfo[]>): NodeJS.Timeout {
  const last = new Map<string, string>();
  const tick = async () => {
    for (const info of await listInfos()) {
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
