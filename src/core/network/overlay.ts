import { NovaError } from '../../shared/errors.js';
import type { NetworkSpec } from '../../shared/schemas/novafile.js';
import type { NetCtx } from './context.js';
import type { Link } from './links.js';
import type { OverlayStatus } from './overlay/driver.js';
import { overlayDriver } from './overlay/index.js';
import type { NetworkState } from './store.js';

// Overlays between hosts: the switch's bridge plus one port that a driver (overlay/*.ts) makes
// and keeps: plain VXLAN, VXLAN over WireGuard, a TAP over QUIC. An encrypted driver this host
// cannot run is refused loudly: an encrypted overlay must never silently run in clear text.

export { DEFAULT_VNI } from './overlay/vxlan.js';

export async function checkOverlayDriver(ctx: NetCtx, name: string, spec: NetworkSpec): Promise<void> {
  const d = overlayDriver(spec);
  const s = await d.support(ctx.run);
  if (!s.ok) {
    throw new NovaError(
      'HOST_UNSUPPORTED',
      `driver "${d.name}" cannot run on this host: ${s.reason}; refusing to fall back to a plain overlay.${s.fix ? ` Fix: ${s.fix}` : ''}`,
      { field: 'driver', ...(s.fix ? { fix: s.fix } : {}) },
    );
  }
  await d.check(ctx, name, spec);
}

/** The MTU of the overlay's L2 segment: bridge, tunnel port, guest NICs. */
export const overlayMtu = (spec: NetworkSpec): number => overlayDriver(spec).l2Mtu(spec);

export async function createOverlayLink(ctx: NetCtx, n: NetworkState, undo: (fn: () => Promise<void>) => void = () => undefined): Promise<void> {
  await overlayDriver(n.spec).create(ctx, n, undo);
}

export async function removeOverlayLink(ctx: NetCtx, n: NetworkState): Promise<void> {
  await overlayDriver(n.spec).remove(ctx, n);
}

export function overlayProblems(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<string[]> {
  return overlayDriver(n.spec).problems(ctx, n, links);
}

export function overlayStatus(ctx: NetCtx, n: NetworkState): Promise<OverlayStatus> {
  return overlayDriver(n.spec).status(ctx, n);
}

/** Whether hydrate must keep a link whose alias part is `part` (the driver made it). */
export const overlayOwnsPart = (n: NetworkState, part: string): boolean => n.spec.type === 'overlay' && overlayDriver(n.spec).linkParts.includes(part);

/** Hydrate: the driver puts back whatever vanished (tunnel, device, stacked links, peers). */
export function repairOverlay(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<boolean> {
  return overlayDriver(n.spec).repair(ctx, n, links);
}
