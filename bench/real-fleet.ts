// The real (created, not fixture) items the list and metrics benches measure: half capsules,
// half stopped VMs, grown step by step so each step reuses what the previous one made.
import { join } from 'node:path';
import { dirs } from '../src/core/sys/paths.js';
import type { NovaPaths } from '../src/core/sys/paths.js';

type Call = (method: string, input: unknown) => Promise<unknown>;

/** Creates capsules c<i> and VMs v<i> from `made` up to `count / 2` each; returns the new `made`. */
export async function growRealFleet(call: Call, paths: NovaPaths, rootfs: string, made: number, count: number): Promise<number> {
  for (; made < count / 2; made++) {
    await call('capsule.create', { name: `c${made}`, spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
    await call('vm.create', { name: `v${made}`, spec: { memory: '128Mi', cpu: 1, network: 'none', disks: [{ path: join(dirs.vms(paths), `v${made}.qcow2`), size: '16Mi' }] } });
  }
  return made;
}

/** Removes what growRealFleet made (`made` capsules c<i> and VMs v<i>). */
export async function removeRealFleet(call: Call, made: number): Promise<void> {
  for (let i = 0; i < made; i++) {
    await call('capsule.rm', { name: `c${i}`, force: true });
    await call('vm.destroy', { name: `v${i}` });
  }
}
