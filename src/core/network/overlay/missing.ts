import { NovaError } from '../../../shared/errors.js';
import type { OverlayDriver, OverlayDriverName } from './driver.js';

/** A driver name this build does not implement yet: refused loudly, never replaced by a clear one. */
export function missingDriver(name: OverlayDriverName, reason: string, fix: string): OverlayDriver {
  const refuse = (): never => {
    throw new NovaError('HOST_UNSUPPORTED', `driver "${name}": ${reason}`, { field: 'driver' });
  };
  return {
    name, encrypted: true, linkParts: [],
    support: async () => ({ ok: false, reason, fix }),
    check: async () => refuse(),
    l2Mtu: () => 1400,
    create: async () => refuse(),
    remove: async () => undefined,
    problems: async () => [`driver "${name}" is not available in this build`],
    status: async (_ctx, n) => ({ driver: name, mtu: n.spec.mtu ?? 1400, peers: [] }),
    repair: async () => refuse(),
  };
}
