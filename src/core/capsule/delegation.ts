import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CgroupInfo } from '../host/cgroups.js';
import { isRootless } from './rootless.js';

// Limits for an ordinary user's capsules need a cgroup v2 subtree delegated to that user (what
// systemd's user@.service does with Delegate=). Without one, limits cannot be enforced: Nova
// refuses them up front instead of silently dropping them. Detect, never assume.

export interface Delegation {
  /** cgroups (and so limits) are available to this engine's capsules. */
  delegated: boolean;
  /** Why not, or where. */
  reason: string;
  /** The delegated cgroup (relative to /sys/fs/cgroup) capsule cgroups go under. */
  base?: string;
}

export const DELEGATION_FIX =
  'enable cgroup v2 delegation for your user: boot with the unified hierarchy (kernel parameter `systemd.unified_cgroup_hierarchy=1`) and log in through systemd, whose user@.service delegates cpu, memory, pids and io (Debian and Arch); or remove the limits';

const NEEDED = ['memory', 'pids', 'cpu'];

export async function cgroupDelegation(cg: CgroupInfo, root = '/sys/fs/cgroup'): Promise<Delegation> {
  if (!isRootless()) return { delegated: true, reason: 'root manages cgroups' };
  if (cg.layout !== 'v2') return { delegated: false, reason: `this host has ${cg.layout} cgroups; a user gets limits only from a delegated cgroup v2 subtree` };
  const own = /^0::(\/.*)$/m.exec(await readFile('/proc/self/cgroup', 'utf8').catch(() => ''))?.[1];
  if (!own) return { delegated: false, reason: 'this process is in no cgroup v2 group' };
  const uid = process.getuid?.();
  // The delegated subtree: the highest ancestor of our own cgroup that belongs to us.
  let base: string | undefined;
  for (let rel = own; rel !== '/'; rel = dirname(rel)) {
    const st = await stat(join(root, rel)).catch(() => undefined);
    if (!st || st.uid !== uid) break;
    base = rel;
  }
  if (!base) return { delegated: false, reason: `your cgroup ${own} is not delegated to you` };
  const controllers = (await readFile(join(root, base, 'cgroup.controllers'), 'utf8').catch(() => '')).split(/\s+/);
  const missing = NEEDED.filter((c) => !controllers.includes(c));
  if (missing.length) return { delegated: false, reason: `your delegated cgroup ${base} lacks the ${missing.join(', ')} controller(s)` };
  return { delegated: true, reason: `cgroup v2 subtree ${base} is delegated to you`, base };
}
