import { NovaError } from '../../shared/errors.js';
import type { NetCtx } from '../network/context.js';
import { getLink } from '../network/links.js';
import type { Peer } from './peer.js';

// A user's switch may enslave a free host interface (polkit's manage-networks allows that), never
// a link that already serves someone: another switch (a bridge), a port of one (it has a master),
// or a VM's TAP, a capsule's veth or an overlay's VXLAN link, which Nova made for some user.

const SERVING_KINDS: Record<string, string> = {
  bridge: 'a bridge (a switch of its own)',
  tun: "a TAP (a VM's port)",
  veth: "a veth (a capsule's or a namespace's port)",
  vxlan: "a VXLAN link (an overlay's port)",
};

/** Refuses, for a non-root caller, uplinks and interfaces that already serve another link. */
export async function checkCallerUplinks(ctx: NetCtx, spec: { uplink?: string | undefined; interfaces?: string[] | undefined }, peer: Peer): Promise<void> {
  if (peer.uid === 0) return;
  const wanted: [string, string][] = [...(spec.uplink ? [['uplink', spec.uplink] as [string, string]] : []), ...(spec.interfaces ?? []).map((i) => ['interfaces', i] as [string, string])];
  for (const [field, iface] of wanted) {
    const link = await getLink(ctx, iface);
    if (!link) continue; // the switch's own plan names the interfaces that exist
    const kind = link.kind ? SERVING_KINDS[link.kind] : undefined;
    if (kind) throw new NovaError('PERMISSION', `${field} "${iface}" is ${kind}: a switch may only take a free host interface. Nothing was changed.`, { field });
    if (link.master) throw new NovaError('PERMISSION', `${field} "${iface}" is already a port of "${link.master}": release it there first. Nothing was changed.`, { field });
  }
}
