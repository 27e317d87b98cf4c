import { z } from 'zod';
import type { VerbGroup } from '../../shared/contract/privileged.js';
import { pciAddress } from '../../shared/schemas/fields.js';
import { lazy } from '../../shared/lazy.js';

// The device verbs of `nova privd`: VFIO moves of a GPU's unit (the GPU, its companion functions
// and, when asked, its IOMMU group) for the caller, and /dev/vfio/N handed to them. A device is
// named by its PCI address only (validated like the contract does): never a path from the caller.
// The sysfs and /dev/vfio roots are fixed when the helper starts.

const timeoutMs = lazy(() => z.number().int().min(100).max(120_000).optional());

export const GPU_VERBS = {
  'gpu.bind': {
    group: 'devices',
    input: lazy(() => z.object({ address: pciAddress, includeGroup: z.boolean().default(false), force: z.boolean().default(false), timeoutMs }).strict()),
    /** --force takes a device the host is using (the boot display): org.nova.manage-devices-force as well. */
    stricter: (i: { force: boolean }): VerbGroup | undefined => (i.force ? 'devicesForce' : undefined),
  },
  'gpu.unbind': { group: 'devices', input: lazy(() => z.object({ address: pciAddress, timeoutMs }).strict()) },
  'gpu.reattach': { group: 'devices', input: lazy(() => z.object({ address: pciAddress, timeoutMs }).strict()) },
  'gpu.reset': {
    group: 'devices',
    input: lazy(() => z.object({ address: pciAddress, force: z.boolean().default(false) }).strict()),
    /** --force resets a device a host driver still holds: as strict as taking it with bind --force. */
    stricter: (i: { force: boolean }): VerbGroup | undefined => (i.force ? 'devicesForce' : undefined),
  },
  /** The VM stopped, the devices stay on vfio-pci: /dev/vfio/N is root's again. */
  'gpu.release': { group: 'devices', input: lazy(() => z.object({ address: pciAddress }).strict()) },
} satisfies Record<string, { group: VerbGroup | undefined; input: z.ZodType; stricter?: (i: never) => VerbGroup | undefined }>;

export type GpuVerb = keyof typeof GPU_VERBS;
