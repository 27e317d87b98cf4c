import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetCtx } from './context.js';
import type { Link } from './links.js';
import { linksAndRoutes } from './links.js';
import { applyRuleset, buildRules } from './nft.js';
import type { NftRule } from './nft.js';
import { ownerKey } from './ipam.js';
import type { NetworkState } from './store.js';
import { declarationProblem, loadAll } from './store.js';

// Host-wide pieces derived from every declared switch: the nft table and per-interface
// forwarding (never the global ip_forward).

export const profileOf = (n: NetworkState) => n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat');

/** What applyForwarding needs to know about the host (read once, shared by many switches). */
export interface HostFacts {
  links: Set<string>;
  defaultDev?: string;
}

export async function hostFacts(ctx: NetCtx): Promise<HostFacts> {
  const { links, routes } = await linksAndRoutes(ctx);
  return factsFrom(links, routes);
}

export const factsFrom = (links: Link[], rs: { dst: string; dev?: string }[]): HostFacts => {
  const def = rs.find((r) => r.dst === 'default')?.dev;
  return { links: new Set(links.map((l) => l.ifname)), ...(def ? { defaultDev: def } : {}) };
};

export const targetOf = (n: NetworkState, o: { kind: string; name: string }) => n.reservations.find((r) => r.key === ownerKey(o))?.ip;

export function rulesFor(nets: NetworkState[]): NftRule[] {
  return buildRules(nets, targetOf, (n) => n.spec.uplink);
}

export const ownerMarker = (ctx: NetCtx) => join(ctx.runDir, 'nft-owner');

/** Rebuilds the whole table from the saved switches (one atomic transaction). */
export async function applyNft(ctx: NetCtx, nets?: NetworkState[]): Promise<NftRule[]> {
  // A switch whose saved values are invalid gets no rules rather than breaking the whole table.
  const all = (nets ?? (await loadAll(ctx))).filter((n) => !declarationProblem(n));
  if (all.length > 0) {
    // Synchronous: a small file in Nova's own folder, where each promise-API step would wait for
    // a pool thread (busy with the declaration's fsync while a switch is created).
    mkdirSync(ctx.runDir, { recursive: true });
    writeFileSync(ownerMarker(ctx), `${ctx.table}\n`);
  }
  const rules = rulesFor(all);
  await applyRuleset(ctx, rules, all.length > 0);
  return rules;
}

/** The sysctls a nat switch needs: forwarding on the bridge and where its traffic leaves (uplink, else the default route's device). */
export function forwardingSettings(n: NetworkState, facts: HostFacts): string[] {
  if (profileOf(n) !== 'nat' || !n.subnet) return [];
  const out = [`net.ipv4.conf.${n.name}.forwarding=1`];
  // Forwards must answer on 127.0.0.1 too: let loopback-sourced DNAT traffic leave via the bridge
  // (it is masqueraded to the gateway address by the "localhost" rule).
  if (n.forwards.length) out.push(`net.ipv4.conf.${n.name}.route_localnet=1`);
  const eg = n.spec.uplink ?? facts.defaultDev;
  if (eg && eg !== n.name && facts.links.has(eg)) out.push(`net.ipv4.conf.${eg.replace(/\./g, '/')}.forwarding=1`);
  return out;
}

/** Applies forwarding for several switches in one `sysctl -w` call. */
export async function applyForwarding(ctx: NetCtx, nets: NetworkState[], facts: HostFacts): Promise<void> {
  const settings = [...new Set(nets.flatMap((n) => forwardingSettings(n, facts)))];
  if (settings.length) await ctx.run(['sysctl', '-q', '-w', ...settings]);
}

/** After forwards change: the sysctls that depend on them (one switch). */
export async function applyForwardingFor(ctx: NetCtx, n: NetworkState): Promise<void> {
  await applyForwarding(ctx, [n], await hostFacts(ctx));
}
