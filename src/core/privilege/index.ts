import { DEVICE_CAPS } from '../../shared/contract/privileged.js';
import type { CapName, PrivilegedStep } from '../../shared/contract/privileged.js';
import type { EngineContext, Privileged } from '../context.js';
import { directDeviceOps } from '../gpu/device-ops.js';
import { netCtx } from '../network/context.js';
import { directNetworkOps } from '../network/direct.js';
import { currentIdentity, hasCap } from '../sys/privilege.js';
import type { Identity } from '../sys/privilege.js';
import { helperDeviceOps } from './helper-devices.js';
import { helperNetworkOps } from './helper-network.js';
import { directSystemOps, helperSystemOps } from './system-ops.js';

// The privileged steps of the engine behind one interface: done by this process when it holds
// the capabilities (root on a server or CI, or CAP_NET_ADMIN / CAP_DAC_OVERRIDE granted to the app), otherwise by
// `nova privd` for the desktop user. Decided once per engine: a process's capabilities don't
// change while it runs.

export type { Privileged } from '../context.js';

/** True when this process may do the step itself: it holds every capability it needs. */
export const holdsCaps = (caps: CapName[], id: Identity = currentIdentity()) => caps.every((c) => hasCap(id, c));

/** True when this process may do a declared step itself (root-only steps need root, not caps). */
export const mayDoDirectly = (step: Pick<PrivilegedStep, 'caps' | 'root'>, id: Identity = currentIdentity()) => holdsCaps(step.caps, id) && (!step.root || id.euid === 0);

/** Picks direct or helper ops for an engine; the engine calls it once and keeps the answer (ctx.privileged). */
export function choosePrivileged(engine: Pick<EngineContext, 'runner' | 'env' | 'paths' | 'bus' | 'clock' | 'sysfsRoot'>): Privileged {
  const ctx = netCtx(engine);
  return {
    network: holdsCaps(['CAP_NET_ADMIN']) ? directNetworkOps(ctx) : helperNetworkOps(ctx, engine.env),
    devices: holdsCaps(DEVICE_CAPS) ? directDeviceOps({ root: engine.sysfsRoot, paths: engine.paths }) : helperDeviceOps(engine.env),
    system: mayDoDirectly({ caps: [], root: true }) ? directSystemOps(engine.runner) : helperSystemOps(engine.env),
  };
}
