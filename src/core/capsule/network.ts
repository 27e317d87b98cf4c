import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineContext } from '../context.js';
import { NovaError } from '../../shared/errors.js';
import { crashPoint } from '../sys/crash-point.js';
import type { CapsuleLayout } from './layout.js';
import { pastaArgs, pastaBinary, PASTA_DNS } from './pasta.js';
import type { CapsuleRecord } from './records.js';
import type { SupervisedNetwork } from './supervisor.js';

// A capsule on a network: Nova creates a named netns for it, asks the network backend
// (`network.attach`) to plug a veth into it, and points the OCI spec at that netns path.
// Without `network` (or with "none") the runtime gives the capsule a fresh netns with loopback.
// An ordinary user cannot make named netns: their capsule's netns is held by its supervisor (in
// the capsule's user namespace), connected by pasta when no switch is named, or by a veth that
// nova privd plugs into it (named by the supervisor's pid) for a switch. "none": loopback only.

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
export async function attachNetwork(engine: EngineContext, rec: CapsuleRecord, network: string, onUndo: (fn: () => Promise<void>) => void): Promise<Attachment> {
  const path = netnsPath(rec.id);
  if (!existsSync(path)) {
    await engine.runner.run(['ip', 'netns', 'add', netnsName(rec.id)]);
    crashPoint(`capsule ${rec.name}: netns made`); // a kill from here on: capsule rm deletes it by id
    onUndo(async () => void (await engine.runner.run(['ip', 'netns', 'del', netnsName(rec.id)], { allowFailure: true })));
    await engine.runner.run(['ip', '-n', netnsName(rec.id), 'link', 'set', 'lo', 'up']);
  }
  const owner = { kind: 'capsule' as const, name: rec.name };
  const r = await engine.call('network.attach', { network, owner, netns: path, ports: rec.spec.ports });
  onUndo(async () => void (await engine.call('network.detach', { network, owner })));
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
export async function releaseNetwork(engine: EngineContext, rec: CapsuleRecord): Promise<void> {
  const network = wantsNetwork(rec);
  if (network) {
    // rm goes on when the detach fails (the capsule must be removable), but says so unless the
    // switch or the attachment is simply gone already: a veth or lease may be left on the host.
    await engine.call('network.detach', { network, owner: { kind: 'capsule', name: rec.name } }).catch((e: unknown) => {
      if (e instanceof NovaError && e.code === 'NOT_FOUND') return;
      engine.bus.emit('notification', { level: 'warning', title: `capsule ${rec.name}: detaching from ${network} failed`, body: e instanceof Error ? e.message : String(e), subject: rec.name });
    });
  }
  if (existsSync(netnsPath(rec.id))) await engine.runner.run(['ip', 'netns', 'del', netnsName(rec.id)], { allowFailure: true });
}

/** How an ordinary user's capsule is connected: pasta, a switch (via nova privd), or not at all. */
export const userNetwork = (rec: CapsuleRecord): { kind: 'pasta' } | { kind: 'none' } | { kind: 'switch'; network: string } =>
  rec.spec.network === 'none' ? { kind: 'none' } : rec.spec.network ? { kind: 'switch', network: rec.spec.network } : { kind: 'pasta' };

export interface UserNetworkPlan {
  /** For the supervisor: it unshares the netns and connects it before the capsule runs. */
  supervised?: SupervisedNetwork;
}

/**
 * Sets `rec.network` for a user's capsule and says how its supervisor connects the netns. For a
 * switch, `attached` runs after the veth is in (the record and /etc files then hold its
 * address); the capsule starts only after that. `onUndo` takes the detach.
 */
export async function planUserNetwork(
  engine: EngineContext,
  rec: CapsuleRecord,
  layout: CapsuleLayout,
  onUndo: (fn: () => Promise<void>) => void,
  attached: () => Promise<void>,
): Promise<UserNetworkPlan> {
  const how = userNetwork(rec);
  if (how.kind === 'none') {
    delete rec.network;
    return {};
  }
  if (how.kind === 'pasta') {
    const bin = await pastaBinary(engine.env);
    rec.network = { name: 'pasta', netns: '', dns: [PASTA_DNS] };
    return { supervised: { pasta: pastaArgs(bin, rec.spec.ports, join(layout.dir, 'pasta.log')) } };
  }
  const { network } = how;
  // The resolv.conf mount is in the spec before the address is known: written again once attached.
  rec.network = { name: network, netns: '', dns: [] };
  const owner = { kind: 'capsule' as const, name: rec.name };
  return {
    supervised: {
      attach: async (pid) => {
        const netns = `/proc/${pid}/ns/net`;
        const r = await engine.call('network.attach', { network, owner, netns, ports: rec.spec.ports });
        onUndo(async () => void (await engine.call('network.detach', { network, owner })));
        rec.network = {
          name: network,
          netns,
          ifname: r.peer ?? r.ifname,
          dns: r.dns ?? [],
          ...(r.ip ? { ip: r.ip } : {}),
          ...(r.gateway ? { gateway: r.gateway } : {}),
          ...(r.prefix ? { prefix: r.prefix } : {}),
          ...(r.domain ? { domain: r.domain } : {}),
        };
        await attached();
      },
    },
  };
}
