import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetCtx } from './context.js';
import type { Link } from './links.js';
import { listLinks, routes, sysctl } from './links.js';
import { applyRuleset, buildRules } from './nft.js';
import type { NftRule } from './nft.js';
import { ownerKey } from './ipam.js';
import type { NetworkState } from './store.js';
import { loadAll } from './store.js';

// Host-wide pieces derived from every declared switch: the nft table and per-interface
// forwarding (never the global ip_forward).

export const profileOf = (n: NetworkState) => n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat');

/** Where a nat switch's traffic leaves: its uplink, else the default route's device. */
export async function egressOf(ctx: NetCtx, n: NetworkState): Promise<string | undefined> {
  if (n.spec.uplink) return n.spec.uplink;
  const def = (await routes(ctx)).find((r) => r.dst === 'default');
  return def?.dev;
}

export const targetOf = (n: NetworkState, o: { kind: string; name: string }) => n.reservations.find((r) => r.key === ownerKey(o))?.ip;

export function rulesFor(nets: NetworkState[]): NftRule[] {
  return buildRules(nets, targetOf, (n) => n.spec.uplink);
}

export const ownerMarker = (ctx: NetCtx) => join(ctx.runDir, 'nft-owner');

/** Rebuilds the whole table from the saved switches (one atomic transaction). */
export async function applyNft(ctx: NetCtx, nets?: NetworkState[]): Promise<void> {
  const all = nets ?? (await loadAll(ctx));
  if (all.length > 0) {
    await mkdir(ctx.runDir, { recursive: true });
    await writeFile(ownerMarker(ctx), `${ctx.table}\n`);
  }
  await applyRuleset(ctx, rulesFor(all), all.length > 0);
}

/** Per-interface forwarding for nat switches: the bridge and its egress device. */
export async function applyForwarding(ctx: NetCtx, n: NetworkState, links?: Link[]): Promise<void> {
  if (profileOf(n) !== 'nat' || !n.subnet) return;
  const present = new Set((links ?? (await listLinks(ctx))).map((l) => l.ifname));
  await sysctl(ctx, `net.ipv4.conf.${n.name}.forwarding`, '1');
  const eg = await egressOf(ctx, n);
  if (eg && present.has(eg)) await sysctl(ctx, `net.ipv4.conf.${eg.replace(/\./g, '/')}.forwarding`, '1');
}
