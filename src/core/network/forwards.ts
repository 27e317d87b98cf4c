import { NovaError } from '../../shared/errors.js';
import type { NetworkOwner } from '../../shared/contract/network.js';
import { parsePortForward } from '../../shared/schemas/fields.js';
import type { NetCtx } from './context.js';
import { ownerKey } from './ipam.js';
import { applyForwardingFor, applyNft, profileOf, targetOf } from './apply.js';
import { loadAll, loadNetwork, saveNetwork } from './store.js';
import type { NetworkState } from './store.js';

// Port forwards ("8080:80" → the owner's reserved address): DNAT in prerouting (other hosts,
// other guests: hairpin) and output (the host itself), rebuilt into the one nft table.

const sameHostPort = (a: string, b: string) => {
  const pa = parsePortForward(a);
  const pb = parsePortForward(b);
  const ipClash = !pa.hostIp || !pb.hostIp || pa.hostIp === pb.hostIp;
  return pa.hostPort === pb.hostPort && pa.protocol === pb.protocol && ipClash;
};

/** Profile and host-port checks, run before anything changes (also by attach). */
export function checkForwards(all: NetworkState[], n: NetworkState, owner: NetworkOwner, ports: string[]): string[] {
  if (!ports.length) return [];
  if (profileOf(n) !== 'nat') throw new NovaError('INVALID_INPUT', `network "${n.name}" has profile ${profileOf(n)}: port forwards need profile = "nat"`, { field: 'ports' });
  const fresh: string[] = [];
  for (const port of ports) {
    if (n.forwards.some((f) => ownerKey(f.owner) === ownerKey(owner) && f.port === port) || fresh.includes(port)) continue;
    for (const other of all) {
      const clash = other.forwards.find((f) => sameHostPort(f.port, port));
      if (clash) throw new NovaError('CONFLICT', `host port ${port.split(':').slice(0, -1).join(':')} is already forwarded to ${clash.owner.kind} "${clash.owner.name}" on "${other.name}" (${clash.port})`, { field: 'ports' });
    }
    fresh.push(port);
  }
  return fresh;
}

export async function addForwards(ctx: NetCtx, network: string, owner: NetworkOwner, ports: string[]): Promise<void> {
  const all = await loadAll(ctx);
  const n = all.find((x) => x.name === network);
  if (!n) throw new NovaError('NOT_FOUND', `no network named "${network}"`);
  const fresh = checkForwards(all, n, owner, ports);
  if (!targetOf(n, owner)) throw new NovaError('NOT_FOUND', `${owner.kind} "${owner.name}" has no address on "${network}": attach it first`);
  for (const port of fresh) n.forwards.push({ owner, port });
  await saveNetwork(ctx, n);
  await applyForwardingFor(ctx, n);
  await applyNft(ctx, all);
}

export async function removeForward(ctx: NetCtx, network: string, owner: NetworkOwner, port: string): Promise<void> {
  const n = await loadNetwork(ctx, network);
  if (!n) throw new NovaError('NOT_FOUND', `no network named "${network}"`);
  const before = n.forwards.length;
  n.forwards = n.forwards.filter((f) => !(ownerKey(f.owner) === ownerKey(owner) && f.port === port));
  if (n.forwards.length === before) throw new NovaError('NOT_FOUND', `no forward ${port} for ${owner.kind} "${owner.name}" on "${network}"`);
  await saveNetwork(ctx, n);
  await applyNft(ctx);
}
