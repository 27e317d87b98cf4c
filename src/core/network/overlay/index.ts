import { NovaError } from '../../../shared/errors.js';
import type { NetworkSpec } from '../../../shared/schemas/novafile.js';
import type { DriverSupport, OverlayDriver, OverlayDriverName, RunFn } from './driver.js';
import { vxlanDriver } from './vxlan.js';
import { wireguardDriver } from './wireguard.js';
import { quicDriver } from './quic/driver.js';

// The overlay drivers by name. A driver that is not built into this Nova answers support() with
// ok: false and is refused as HOST_UNSUPPORTED before anything is created; it never falls back to
// a clear-text overlay.

const drivers: Record<OverlayDriverName, OverlayDriver> = {
  vxlan: vxlanDriver,
  wireguard: wireguardDriver,
  quic: quicDriver,
};

export const overlayDriverNames = Object.keys(drivers) as OverlayDriverName[];

export function overlayDriver(spec: Pick<NetworkSpec, 'driver'>): OverlayDriver {
  if (!spec.driver) throw new NovaError('INVALID_INPUT', 'an overlay needs driver = "vxlan", "wireguard" or "quic"', { field: 'driver' });
  return drivers[spec.driver];
}

/** Every driver's support on this host (preflight, plan facts). */
export async function overlaySupport(run: RunFn): Promise<Record<OverlayDriverName, DriverSupport>> {
  const out = {} as Record<OverlayDriverName, DriverSupport>;
  for (const name of overlayDriverNames) {
    out[name] = await drivers[name].support(run).catch((e: Error) => ({ ok: false, reason: `could not check: ${e.message}` }));
  }
  return out;
}
