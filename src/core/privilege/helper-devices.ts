import type { Action } from '../gpu/actions.js';
import type { DeviceActOptions, DeviceOps, Moved } from '../gpu/device-ops.js';
import type { GpuVerb } from '../privd/verbs-gpu.js';
import { privdCall } from './client.js';

// DeviceOps for a desktop user: `nova privd` moves the GPU's IOMMU group and hands /dev/vfio/N to
// us (the kernel tells it who we are). We send the PCI address and the options, never a path.

export function helperDeviceOps(env: NodeJS.ProcessEnv): DeviceOps {
  const call = async (verb: GpuVerb, input: Record<string, unknown>) => (await privdCall(verb, input as never, env)) as { devices: Moved };
  const timeout = (o: DeviceActOptions) => (o.timeoutMs ? { timeoutMs: o.timeoutMs } : {});
  const inputs: Record<Action, (address: string, o: DeviceActOptions) => Record<string, unknown>> = {
    bind: (address, o) => ({ address, includeGroup: Boolean(o.includeGroup), force: Boolean(o.force), ...timeout(o) }),
    unbind: (address, o) => ({ address, ...timeout(o) }),
    reattach: (address, o) => ({ address, ...timeout(o) }),
    reset: (address, o) => ({ address, force: Boolean(o.force) }),
  };
  return {
    via: 'helper',
    act: async (action, address, o = {}) => (await call(`gpu.${action}`, inputs[action](address, o))).devices,
    release: async (address) => {
      await call('gpu.release', { address });
    },
  };
}
