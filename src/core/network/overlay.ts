import { access } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { NetworkSpec } from '../../shared/schemas/novafile.js';
import type { NetCtx } from './context.js';
import type { Link } from './links.js';
import { addVxlanPeer, createVxlan, deleteLink, setMaster, setUp, vxlanPeers } from './links.js';
import { aliasFor, vxlanName } from './owner.js';
import type { NetworkState } from './store.js';

// Overlays between hosts: a VXLAN link (VNI, head-end replication to each peer) enslaved to the
// switch's bridge, so VMs and capsules attach exactly as on a local switch. Encrypted drivers are
// refused loudly until they exist: a "quic" overlay must never silently run in clear text.

export const DEFAULT_VNI = (name: string) => 1 + ([...name].reduce((a, c) => (a * 31 + c.charCodeAt(0)) >>> 0, 7) % 16_000_000);

/** Encrypted transports this kernel could carry (for the HOST_UNSUPPORTED message). */
export async function encryptedCandidates(): Promise<string[]> {
  const out: string[] = [];
  const has = (p: string) => access(p).then(() => true, () => false);
  if (await has('/sys/module/wireguard')) out.push('wireguard (kernel module loaded)');
  if (await has('/proc/net/xfrm_stat')) out.push('IPsec/XFRM (ip xfrm) under VXLAN');
  if (await has('/sys/module/macsec')) out.push('MACsec');
  return out;
}

export async function checkOverlayDriver(_ctx: NetCtx, spec: NetworkSpec): Promise<void> {
  if (spec.driver === 'vxlan') {
    if (!spec.peers.length) throw new NovaError('INVALID_INPUT', 'a vxlan overlay needs peers = ["192.0.2.10"] (the other hosts\' underlay addresses)', { field: 'peers' });
    return;
  }
  const could = await encryptedCandidates();
  throw new NovaError(
    'HOST_UNSUPPORTED',
    `driver "${spec.driver}" (encrypted overlay) is not available in this Nova build; refusing to fall back to a plain overlay. ` +
      `Encrypted transports this host could use: ${could.length ? could.join(', ') : 'none (install wireguard support: the wireguard kernel module / package wireguard-tools)'}. ` +
      'Use driver = "vxlan" on a trusted underlay meanwhile.',
    { field: 'driver', candidates: could },
  );
}

export async function createOverlayLink(ctx: NetCtx, n: NetworkState): Promise<void> {
  const dev = vxlanName(n.name);
  await createVxlan(ctx, dev, aliasFor(ctx, n.name, 'vxlan'), { vni: n.spec.vni ?? DEFAULT_VNI(n.name), ...(n.spec.local ? { local: n.spec.local } : {}), mtu: n.spec.mtu ?? 1450 });
  try {
    for (const p of n.spec.peers) await addVxlanPeer(ctx, dev, p);
    await setMaster(ctx, dev, n.name);
    await setUp(ctx, dev);
  } catch (e) {
    await deleteLink(ctx, dev);
    throw e;
  }
}

export async function removeOverlayLink(ctx: NetCtx, n: NetworkState): Promise<void> {
  await deleteLink(ctx, vxlanName(n.name));
}

export async function overlayProblems(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<string[]> {
  const dev = vxlanName(n.name);
  const l = links.get(dev);
  if (!l) return ['vxlan link missing'];
  const out: string[] = [];
  if (l.master !== n.name) out.push('vxlan link not on the bridge');
  const peers = await vxlanPeers(ctx, dev);
  const lost = n.spec.peers.filter((p) => !peers.includes(p));
  if (lost.length) out.push(`vxlan peers missing: ${lost.join(', ')}`);
  return out;
}

/** Hydrate: recreate the VXLAN link or its peers when they vanished. */
export async function repairOverlay(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<boolean> {
  const problems = await overlayProblems(ctx, n, links);
  if (!problems.length) return false;
  await removeOverlayLink(ctx, n);
  await createOverlayLink(ctx, n);
  return true;
}
