import { NovaError } from '../../shared/errors.js';
import type { ContainerSpec } from '../../shared/schemas/novafile.js';
import { cgroupDelegation, DELEGATION_FIX } from './delegation.js';
import type { Delegation } from './delegation.js';
import { capsuleCgroup } from './layout.js';
import { isRootless, rootlessIds, specMappings } from './rootless.js';
import type { RootlessIds } from './rootless.js';
import type { Runtime } from './runtime.js';
import type { SpecContext } from './spec.js';

// How a capsule is isolated from the host, decided per start from who runs the engine: root
// gets today's capsules (cgroups under /nova); an ordinary user gets a user namespace, and a
// cgroup only inside a subtree delegated to them.

export interface Isolation {
  delegation: Delegation;
  cgroupsPath?: string;
  rootless?: RootlessIds;
  userns?: SpecContext['userns'];
}

export async function capsuleIsolation(rt: Runtime, id: string): Promise<Isolation> {
  const delegation = await cgroupDelegation(rt.cgroup);
  if (!isRootless()) return { delegation, cgroupsPath: capsuleCgroup(id) };
  const ids = await rootlessIds();
  return {
    delegation,
    rootless: ids,
    userns: { uidMappings: specMappings(ids.uidMap), gidMappings: specMappings(ids.gidMap) },
    ...(delegation.base ? { cgroupsPath: `${delegation.base}/nova/${id}` } : {}),
  };
}

const hasLimits = (spec: ContainerSpec) => Object.values(spec.limits).some((v) => v !== undefined);

/** Limits this engine could not enforce are an error before anything runs, never a silent no-op. */
export function refuseUnenforceableLimits(spec: ContainerSpec, delegation: Delegation): void {
  if (delegation.delegated || !hasLimits(spec)) return;
  const which = Object.keys(spec.limits).filter((k) => spec.limits[k as keyof ContainerSpec['limits']] !== undefined);
  throw new NovaError('HOST_UNSUPPORTED', `spec.limits (${which.join(', ')}): not enforceable for your capsules here — ${delegation.reason}. Fix: ${DELEGATION_FIX}`, {
    field: 'limits',
    fix: DELEGATION_FIX,
  });
}
