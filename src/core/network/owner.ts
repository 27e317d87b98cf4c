import { createHash } from 'node:crypto';
import type { NetCtx } from './context.js';

// Names and aliases of the links Nova creates. The alias carries an instance id (a hash of the
// state folder) so two Nova homes sharing one namespace never sweep each other's links.

const h = (s: string, n = 10) => createHash('sha256').update(s).digest('hex').slice(0, n);

export const instanceId = (ctx: NetCtx) => h(ctx.stateDir, 6);
export const aliasFor = (ctx: NetCtx, network: string, part?: string) => `nova:${instanceId(ctx)}:${network}${part ? `:${part}` : ''}`;

export function parseAlias(ctx: NetCtx, alias: string | undefined): { network: string; part?: string } | undefined {
  const prefix = `nova:${instanceId(ctx)}:`;
  if (!alias?.startsWith(prefix)) return undefined;
  const [network, ...rest] = alias.slice(prefix.length).split(':');
  return { network: network!, ...(rest.length ? { part: rest.join(':') } : {}) };
}

export const tapName = (network: string, key: string) => `nvt${h(`${network}/${key}`)}`;
export const vethName = (network: string, key: string) => `nvh${h(`${network}/${key}`)}`;
export const vethPeerTmp = (network: string, key: string) => `nvp${h(`${network}/${key}`)}`;
export const vxlanName = (network: string) => `nvx${h(network)}`;
/** WireGuard devices: unique host-wide (wireguard-go's control sockets are shared by every netns), so the instance is in the hash. */
export const wgName = (ctx: NetCtx, network: string) => `nvw${h(`${instanceId(ctx)}/${network}`)}`;
export const quicTapName = (network: string) => `nvq${h(network)}`;
