import { existsSync } from 'node:fs';
import type { Engine } from '../engine.js';
import { crashPoint } from '../sys/crash-point.js';
import type { CapsuleRecord } from './records.js';

// A capsule on a network: Nova creates a named netns for it, asks the network backend
// (`network.attach`) to plug a veth into it, and points the OCI spec at that netns path.
// Without `network` (or with "none") the runtime gives the capsule a fresh netns with loopback.

export const wantsNetwork = (rec: CapsuleRecord): string | undefined =>
  rec.spec.network && rec.spec.network !== 'none' ? rec.spec.network : undefined;

export const netnsName = (id: string) => id;
export const netnsPath = (id: string) => `/run/netns/${netnsName(id)}`;

export interface Attachment {
  name: string;
  netns: string;
  ip?: string;
  ifname?: string;
  gateway?: string;
  prefix?: number;
  dns?: string[];
  domain?: string;
}

/** Creates the capsule's netns (kept across restarts so its lease stays) and attaches it. */
export async function attachNetwork(engine: Engine, rec: CapsuleRecord, network: string, onUndo: (fn: () => Promise<void>) => void): Promise<Attachment> {
  const path = netnsPath(rec.id);
  if (!existsSync(path)) {
    await engine.runner.run(['ip', 'netns', 'add', netnsName(rec.id)]);
    crashPoint(`capsule ${rec.name}: netns made`); // a kill from here on: capsule rm deletes it by id
    onUndo(async () => void (await engine.runner.run(['ip', 'netns', 'del', netnsName(rec.id)], { allowFailure: true })));
    await engine.runner.run(['ip', '-n', netnsName(rec.id), 'link', 'set', 'lo', 'up']);
  }
  const owner = { kind: 'capsule' as const, name: rec.name };
  const r = await engine.dispatcher.invoke('network.attach', { network, owner, netns: path, ports: rec.spec.ports });
  onUndo(async () => void (await engine.dispatcher.call('network.detach', { network, owner })));
  return {
    name: network,
    netns: path,
    ifname: r.peer ?? r.ifname,
    ...(r.ip ? { ip: r.ip } : {}),
    ...(r.gateway ? { gateway: r.gateway } : {}),
    ...(r.prefix ? { prefix: r.prefix } : {}),
    ...(r.dns ? { dns: r.dns } : {}),
    ...(r.domain ? { domain: r.domain } : {}),
  };
}

/** Detaches and deletes the capsule's netns (on rm). Quiet when already gone. */
export async function releaseNetwork(engine: Engine, rec: CapsuleRecord): Promise<void> {
  const network = wantsNetwork(rec);
  if (network) {
    await engine.dispatcher.call('network.detach', { network, owner: { kind: 'capsule', name: rec.name } });
  }
  if (existsSync(netnsPath(rec.id))) await engine.runner.run(['ip', 'netns', 'del', netnsName(rec.id)], { allowFailure: true });
}
