import { NovaError } from '../../../shared/errors.js';
import type { NetworkSpec } from '../../../shared/schemas/novafile.js';
import type { NetCtx } from '../context.js';
import type { Link } from '../links.js';
import { addVxlanPeer, createVxlan, deleteLink, setMaster, setUp, vxlanPeers } from '../links.js';
import { aliasFor, vxlanName } from '../owner.js';
import type { NetworkState } from '../store.js';
import type { OverlayDriver } from './driver.js';

// Plain VXLAN: a VXLAN link (VNI, head-end replication to each peer's underlay address) on the
// bridge. Guest frames cross the underlay in clear text: for trusted links only.

export const DEFAULT_VNI = (name: string) => 1 + ([...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % 16_000_000);
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A VXLAN port enslaved to `bridge`; used by vxlan and stacked on other tunnels (wireguard). */
export async function createVxlanPort(ctx: NetCtx, dev: string, alias: string, bridge: string, o: { vni: number; local?: string; mtu: number; peers: string[] }): Promise<void> {
  await createVxlan(ctx, dev, alias, { vni: o.vni, ...(o.local ? { local: o.local } : {}), mtu: o.mtu });
  try {
    for (const p of o.peers) await addVxlanPeer(ctx, dev, p);
    await setMaster(ctx, dev, bridge);
    await setUp(ctx, dev);
  } catch (e) {
    await deleteLink(ctx, dev);
    throw e;
  }
}

/** Missing link, not on the bridge, peers lost: what a VXLAN port can get wrong. */
export async function vxlanPortProblems(ctx: NetCtx, dev: string, bridge: string, peers: string[], links: Map<string, Link>): Promise<string[]> {
  const l = links.get(dev);
  if (!l) return ['vxlan link missing'];
  const out: string[] = [];
  if (l.master !== bridge) out.push('vxlan link not on the bridge');
  const live = await vxlanPeers(ctx, dev);
  const lost = peers.filter((p) => !live.includes(p));
  if (lost.length) out.push(`vxlan peers missing: ${lost.join(', ')}`);
  return out;
}

const mtuOf = (spec: NetworkSpec) => spec.mtu ?? 1450;

export const vxlanDriver: OverlayDriver = {
  name: 'vxlan',
  encrypted: false,
  linkParts: ['vxlan'],
  support: async () => ({ ok: true, mode: 'kernel', reason: 'VXLAN is in the kernel (unencrypted: for trusted underlays)' }),
  async check(_ctx, _name, spec) {
    if (!spec.peers.length) throw new NovaError('INVALID_INPUT', 'a vxlan overlay needs peers = ["192.0.2.10"] (the other hosts\' underlay addresses)', { field: 'peers' });
    const i = spec.peers.findIndex((p) => !IPV4.test(p));
    if (i >= 0) throw new NovaError('INVALID_INPUT', `peers[${i}]: "${spec.peers[i]}" is not an IPv4 address (a vxlan peer is the other host's underlay address)`, { field: `peers[${i}]` });
  },
  l2Mtu: mtuOf,
  async create(ctx, n, undo) {
    await createVxlanPort(ctx, vxlanName(n.name), aliasFor(ctx, n.name, 'vxlan'), n.name, { vni: n.spec.vni ?? DEFAULT_VNI(n.name), ...(n.spec.local ? { local: n.spec.local } : {}), mtu: mtuOf(n.spec), peers: n.spec.peers });
    undo(() => deleteLink(ctx, vxlanName(n.name)));
  },
  async remove(ctx, n) {
    await deleteLink(ctx, vxlanName(n.name));
  },
  problems: (ctx, n, links) => vxlanPortProblems(ctx, vxlanName(n.name), n.name, n.spec.peers, links),
  async status(ctx, n) {
    const live = await vxlanPeers(ctx, vxlanName(n.name));
    // VXLAN has no handshake: a peer is "reachable" when its forwarding entry is in place.
    return { driver: 'vxlan', mode: 'kernel', mtu: mtuOf(n.spec), peers: n.spec.peers.map((p) => ({ peer: p, endpoint: `${p}:4789`, reachable: live.includes(p) })) };
  },
  async setPeers(ctx, n, spec) {
    await vxlanDriver.remove(ctx, n);
    await vxlanDriver.create(ctx, { ...n, spec }, () => undefined);
  },
  async repair(ctx, n, links) {
    if (!(await vxlanDriver.problems(ctx, n, links)).length) return false;
    await vxlanDriver.remove(ctx, n);
    await vxlanDriver.create(ctx, n, () => undefined);
    return true;
  },
};
