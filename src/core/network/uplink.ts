import type { NetCtx } from './context.js';
import { getLink, setMaster, setUp } from './links.js';
import type { NetworkState, UplinkConfig } from './store.js';

// Enslaving a host NIC to an external switch: its IPv4 addresses and routes move to the bridge
// (an address on a bridge port is dead for the host) and move back when the switch is removed.
// What was moved is saved in the switch's state, so hydrate can restore it onto a recreated bridge.

interface RawRoute {
  dst: string;
  gateway?: string;
  metric?: number;
  protocol?: string;
}

async function routesOf(ctx: NetCtx, dev: string): Promise<RawRoute[]> {
  const r = await ctx.run(['ip', '-j', 'route', 'show', 'dev', dev], { allowFailure: true });
  return r.exitCode === 0 && r.stdout.trim() ? (JSON.parse(r.stdout) as RawRoute[]) : [];
}

async function readConfig(ctx: NetCtx, dev: string): Promise<UplinkConfig> {
  const link = await getLink(ctx, dev);
  const routes = (await routesOf(ctx, dev)).filter((r) => r.protocol !== 'kernel');
  return {
    addrs: (link?.addrs ?? []).map((a) => `${a.local}/${a.prefixlen}`),
    routes: routes.map((r) => ({ dst: r.dst, ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.metric !== undefined ? { metric: r.metric } : {}) })),
  };
}

async function apply(ctx: NetCtx, cfg: UplinkConfig, from: string | undefined, to: string): Promise<void> {
  for (const a of cfg.addrs) {
    if (from) await ctx.run(['ip', 'addr', 'del', a, 'dev', from], { allowFailure: true });
    await ctx.run(['ip', 'addr', 'replace', a, 'dev', to], { allowFailure: true });
  }
  for (const r of cfg.routes) {
    await ctx.run(['ip', 'route', 'replace', r.dst, ...(r.gateway ? ['via', r.gateway] : []), 'dev', to, ...(r.metric !== undefined ? ['metric', String(r.metric)] : [])], { allowFailure: true });
  }
}

/** Enslaves `iface` and moves its addresses and routes to the bridge; returns the undo. */
export async function takeOverUplink(ctx: NetCtx, n: NetworkState, iface: string, record?: () => Promise<void>): Promise<() => Promise<void>> {
  const current = await readConfig(ctx, iface);
  n.uplinks ??= {};
  if (current.addrs.length || !n.uplinks[iface]) n.uplinks[iface] = current;
  const cfg = n.uplinks[iface]!;
  await record?.(); // what is moved is on disk before it moves (a kill -9 can still give it back)
  await setMaster(ctx, iface, n.name);
  await setUp(ctx, iface);
  await apply(ctx, cfg, current.addrs.length ? iface : undefined, n.name);
  return () => releaseUplink(ctx, n, iface);
}

/** Detaches `iface` from the bridge and gives its addresses and routes back. */
export async function releaseUplink(ctx: NetCtx, n: NetworkState, iface: string): Promise<void> {
  await ctx.run(['ip', 'link', 'set', 'dev', iface, 'nomaster'], { allowFailure: true });
  const cfg = n.uplinks?.[iface];
  if (cfg && (await getLink(ctx, iface))) await apply(ctx, cfg, (await getLink(ctx, n.name)) ? n.name : undefined, iface);
}
