import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import type { cgroupInfo } from '../../shared/contract/host.js';

export type CgroupInfo = z.infer<typeof cgroupInfo>;

/**
 * Detects the cgroup layout from mountinfo (detect, never assume): pure v2, pure v1, or hybrid
 * (v1 controllers plus a v2 tree at /sys/fs/cgroup/unified, which crun refuses when that tree
 * lists controllers — see the capsule runtime's workaround).
 */
export async function detectCgroups(mountinfoPath = '/proc/self/mountinfo', root = '/sys/fs/cgroup'): Promise<CgroupInfo> {
  const text = await readFile(mountinfoPath, 'utf8').catch(() => '');
  const mounts = text.split('\n').map((line) => {
    const [pre, post] = line.split(' - ');
    const mountPoint = pre?.split(' ')[4] ?? '';
    const fsType = post?.split(' ')[0] ?? '';
    return { mountPoint, fsType };
  });
  const v2 = mounts.filter((m) => m.fsType === 'cgroup2');
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  if (v2.some((m) => m.mountPoint === root) && v1.length === 0) {
    const ctl = await controllers(`${root}/cgroup.controllers`);
    return { layout: 'v2', detail: `unified cgroup v2 at ${root}`, unifiedControllers: ctl };
  }
  if (v1.length > 0 && v2.length > 0) {
    const at = v2[0]!.mountPoint;
    const ctl = await controllers(`${at}/cgroup.controllers`);
    return {
      layout: 'hybrid',
      detail: `v1 controllers plus cgroup v2 at ${at}${ctl.length ? ` listing ${ctl.join(', ')}` : ''}`,
      unifiedControllers: ctl,
    };
  }
  if (v1.length > 0) return { layout: 'v1', detail: `${v1.length} cgroup v1 hierarchies`, unifiedControllers: [] };
  return { layout: 'none', detail: 'no cgroup filesystem mounted', unifiedControllers: [] };
}

async function controllers(path: string): Promise<string[]> {
  const t = await readFile(path, 'utf8').catch(() => '');
  return t.split(/\s+/).filter(Boolean);
}
