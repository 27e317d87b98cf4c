import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { attach, detach, requireNetwork } from './attach.js';
import { startCapture, stopCapture } from './capture.js';
import type { NetCtx } from './context.js';
import { readLeases } from './dnsmasq.js';
import { addForwards, removeForward } from './forwards.js';
import { hydrate, hydrateWithView } from './hydrate.js';
import type { NetworkOps } from './ops.js';
import { addRecord, removeRecord } from './records.js';
import { loadAll } from './store.js';
import { createSwitch, hostView, removeSwitch, toInfo, updateSwitch } from './switches.js';

// NetworkOps done by this process itself (it holds CAP_NET_ADMIN). `nova privd` uses the same
// object for its callers, so the helper validates and converges exactly as a root engine does.
// One lock serializes every change: the nft table is shared by all switches.

export function directNetworkOps(ctx: NetCtx): NetworkOps {
  const locked = <T>(holder: string, fn: () => Promise<T>) => withLock(lockPath(ctx.paths, 'network', 'all'), fn, { holder, timeoutMs: 60_000 });
  const info = async (name: string) => toInfo(ctx, await requireNetwork(ctx, name), await hostView(ctx));
  return {
    via: 'direct',
    async create(name, spec, project) {
      const { state, view } = await locked(`network.create ${name}`, () => createSwitch(ctx, name, spec, project));
      return toInfo(ctx, state, view ?? (await hostView(ctx)));
    },
    async update(name, spec, project) {
      const n = await locked(`network.update ${name}`, () => updateSwitch(ctx, name, spec, project));
      return toInfo(ctx, n, await hostView(ctx));
    },
    remove: (name, force) => locked(`network.rm ${name}`, () => removeSwitch(ctx, name, force)),
    hydrate: () => locked('network.hydrate', () => hydrate(ctx)),
    async hydrateListed() {
      const { report, view } = await locked('network.hydrate', () => hydrateWithView(ctx));
      const nets = await loadAll(ctx);
      if (!nets.length) return { report, infos: [] };
      const v = view ?? (await hostView(ctx));
      return { report, infos: await Promise.all(nets.map((n) => toInfo(ctx, n, v))) };
    },
    attach: (i) => locked(`network.attach ${i.network}`, () => attach(ctx, i)),
    detach: (network, owner, release) => locked(`network.detach ${network}`, () => detach(ctx, network, owner, release)),
    addForward: (network, owner, port) => locked('network.forward.add', () => addForwards(ctx, network, owner, [port])),
    removeForward: (network, owner, port) => locked('network.forward.rm', () => removeForward(ctx, network, owner, port)),
    addRecord: (network, record) => locked('network.dns.add', () => addRecord(ctx, network, record)),
    removeRecord: (network, name) => locked('network.dns.rm', () => removeRecord(ctx, network, name)),
    async list(project) {
      const nets = (await loadAll(ctx)).filter((n) => !project || n.project === project);
      if (!nets.length) return [];
      const view = await hostView(ctx);
      return Promise.all(nets.map((n) => toInfo(ctx, n, view)));
    },
    inspect: info,
    async leases(name) {
      const n = await requireNetwork(ctx, name);
      const dynamic = await readLeases(ctx, n.name);
      const statics = n.reservations.filter((r) => r.ip).map((r) => ({ mac: r.mac, ip: r.ip!, hostname: r.hostname, static: true }));
      return [...statics, ...dynamic.filter((l) => !statics.some((s) => s.ip === l.ip)).map((l) => ({ ...l, static: false }))];
    },
    startCapture: (o) => locked(`network.capture.start ${o.network}`, () => startCapture(ctx, o)),
    stopCapture: (id) => stopCapture(ctx, id),
  };
}
