import { z } from 'zod';
import { resourceName } from '../names.js';
import { pciAddress, size } from '../schemas/fields.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// GPUs and VFIO passthrough. Every GPU carries its diagnostics so the board, `nova gpu list`
// and the VM backend agree on OK / Degraded / Action Needed and why.

export const gpuStatus = lazy(() => z.enum(['OK', 'Degraded', 'Action Needed']));
export type GpuStatus = z.infer<typeof gpuStatus>;

export const checkStatus = lazy(() => z.enum(['ok', 'info', 'warn', 'fail']));
export const gpuCheck = lazy(() => z.object({
  /** Stable id: iommu, group, display, reset, reset-bug, d3cold, rebar, hugepages, vfio-modules, driver, sriov. */
  id: z.string(),
  title: z.string(),
  status: checkStatus,
  reason: z.string(),
  fix: z.string().optional(),
}));
export type GpuCheck = z.infer<typeof gpuCheck>;

export const groupMember = lazy(() => z.object({
  address: z.string(),
  classCode: z.string(),
  className: z.string(),
  name: z.string(),
  driver: z.string().optional(),
  bridge: z.boolean(),
  /** Another function of the GPU's own slot (HDMI audio, USB-C): moved with it. */
  companion: z.boolean(),
}));

export const companion = lazy(() => z.object({
  address: z.string(),
  kind: z.enum(['audio', 'usb', 'usb-c', 'other']),
  name: z.string(),
  driver: z.string().optional(),
}));

export const gpuInfo = lazy(() => z.object({
  address: z.string(),
  name: z.string(),
  vendor: z.object({ id: z.string(), name: z.string(), kind: z.enum(['nvidia', 'amd', 'intel', 'other']) }),
  device: z.object({ id: z.string(), chip: z.string().optional() }),
  subsystem: z.object({ vendorId: z.string(), deviceId: z.string(), vendorName: z.string().optional() }),
  classCode: z.string(),
  className: z.string(),
  generation: z.string(),
  integrated: z.boolean(),
  driver: z.string().optional(),
  driverOverride: z.string().optional(),
  iommuGroup: z.number().int().optional(),
  groupMembers: z.array(groupMember),
  companions: z.array(companion),
  resetMethods: z.array(z.string()),
  powerState: z.string().optional(),
  d3coldAllowed: z.boolean().optional(),
  bootVga: z.boolean(),
  rebar: z.object({ supported: z.boolean(), bar: z.number().int().optional(), currentBytes: z.number().optional(), maxBytes: z.number().optional() }),
  sriov: z.object({ totalVfs: z.number().int(), numVfs: z.number().int(), vfs: z.array(z.string()) }).optional(),
  /** Set on SR-IOV virtual functions: the physical function's address. */
  physfn: z.string().optional(),
  link: z.object({ speed: z.string().optional(), width: z.string().optional(), maxSpeed: z.string().optional(), maxWidth: z.string().optional() }).optional(),
  numaNode: z.number().int().optional(),
  /** Processes holding this GPU's /dev/dri nodes (a compositor driving the host display). */
  displayHolders: z.array(z.object({ pid: z.number().int(), comm: z.string(), node: z.string() })),
  /** The VM Nova bound this GPU for (gpu.resolveForVm with `vm`), until gpu.releaseForVm. */
  claimedBy: z.string().optional(),
  status: gpuStatus,
  checks: z.array(gpuCheck),
}));
export type GpuInfo = z.infer<typeof gpuInfo>;

export const gpuActionResult = lazy(() => z.object({
  address: z.string(),
  ok: z.boolean(),
  /** Every device this action moved (the GPU and its companions, or the whole group). */
  devices: z.array(z.object({ address: z.string(), from: z.string().optional(), to: z.string().optional() })),
  message: z.string(),
  error: z.object({ code: z.string(), message: z.string(), fix: z.string().optional() }).optional(),
}));
export type GpuActionResult = z.infer<typeof gpuActionResult>;

const addresses = lazy(() => z.array(pciAddress).min(1, 'give at least one PCI address like "0000:01:00.0"'));
const actionOutput = lazy(() => z.object({ results: z.array(gpuActionResult), ok: z.boolean() }));
const vmContext = {
  /** VM memory, for the hugepages check. */
  memoryBytes: lazy(() => size.optional()),
  /** The VM asks for hugepages: too few free becomes Action Needed instead of advice. */
  hugepages: lazy(() => z.boolean().optional()),
};

export const gpuDiagnostics = lazy(() => z.object({ status: gpuStatus, checks: z.array(gpuCheck) }));

export const gpuProcedures = {
  'gpu.list': procedure({
    summary: 'Every GPU with its driver, IOMMU group, companions, reset risk and diagnostics',
    input: lazy(() => z.object({ ...vmContext }).strict().default({})),
    output: lazy(() => z.object({ gpus: z.array(gpuInfo), iommu: z.object({ enabled: z.boolean(), groups: z.number().int(), cmdline: z.string() }) })),
  }),
  'gpu.info': procedure({
    summary: 'One GPU by PCI address or by name ("5090")',
    input: lazy(() => z.object({ id: z.string().min(1, 'give a PCI address like "0000:01:00.0" or a name like "5090"'), ...vmContext }).strict()),
    output: gpuInfo,
  }),
  'gpu.diagnose': procedure({
    summary: 'Diagnostics for one GPU or all: OK / Degraded / Action Needed, each check with its reason and fix',
    input: lazy(() => z.object({ address: pciAddress.optional(), ...vmContext }).strict().default({})),
    output: lazy(() => z.object({ gpus: z.array(z.object({ address: z.string(), name: z.string(), status: gpuStatus, checks: z.array(gpuCheck) })) })),
  }),
  'gpu.bind': procedure({
    summary: 'Move GPUs (with their companions) to vfio-pci: driver_override → unbind → drivers_probe, undone on failure',
    input: lazy(() => z
      .object({
        addresses,
        /** Also move the non-GPU devices sharing the IOMMU group (USB controller, NIC). */
        includeGroup: z.boolean().default(false),
        /** Bind even the GPU driving the host display. */
        force: z.boolean().default(false),
        timeoutMs: z.number().int().min(100).max(120_000).optional(),
      })
      .strict()),
    output: actionOutput,
  }),
  'gpu.unbind': procedure({
    summary: 'Detach GPUs (with their companions) from their current driver, leaving them unbound',
    input: lazy(() => z.object({ addresses, force: z.boolean().default(false), timeoutMs: z.number().int().min(100).max(120_000).optional() }).strict()),
    output: actionOutput,
  }),
  'gpu.reattach': procedure({
    summary: 'Give GPUs (with their companions) back to the driver they had before Nova bound them',
    input: lazy(() => z.object({ addresses, timeoutMs: z.number().int().min(100).max(120_000).optional() }).strict()),
    output: actionOutput,
  }),
  'gpu.reset': procedure({
    summary: 'Reset GPUs through the kernel (FLR, bus or device-specific reset)',
    input: lazy(() => z.object({ addresses, force: z.boolean().default(false) }).strict()),
    output: actionOutput,
  }),
  'gpu.resolveForVm': procedure({
    summary: 'Turn a VM\'s gpu_passthrough / gpu into the VFIO device list, with the diagnostics that gate its start',
    input: lazy(() => z
      .object({
        /** The VM asking (the VM start path): implies a GPU is wanted, binds by default. */
        vm: resourceName.optional(),
        gpu_passthrough: z.boolean().optional(),
        gpu: pciAddress.optional(),
        ...vmContext,
        /** Bind the devices to vfio-pci now (when nothing blocks). Default: true when `vm` is given. */
        bind: z.boolean().optional(),
        /** `error` (default): Action Needed throws CONFLICT with the reason; `report`: returned as blocked (previews). */
        onBlocked: z.enum(['error', 'report']).default('error'),
      })
      .strict()),
    output: lazy(() => z.object({
      /** VFIO host devices for QEMU (`-device vfio-pci,host=…`), GPU first. Empty when no GPU is asked for. */
      devices: z.array(z.string()),
      /** The same list as `devices` (older name the VM backend reads). */
      addresses: z.array(z.string()),
      chosen: z.string().nullable(),
      why: z.string(),
      status: gpuStatus.nullable(),
      checks: z.array(gpuCheck),
      /** True when a check is Action Needed: the VM must not start; `reason` says why. */
      blocked: z.boolean(),
      reason: z.string().optional(),
      /** QEMU settings the passthrough needs (a 64-bit MMIO window large enough for a resized BAR). */
      qemu: z.object({ pciMmio64Mb: z.number().int().optional() }),
      bound: z.array(gpuActionResult).optional(),
    })),
  }),
  'gpu.releaseForVm': procedure({
    summary: 'After a VM stops: give the GPUs Nova bound for it back to their host drivers',
    input: lazy(() => z.object({ vm: resourceName, keepBound: z.boolean().default(false) }).strict()),
    output: lazy(() => z.object({ vm: z.string(), devices: z.array(z.string()), results: z.array(gpuActionResult), ok: z.boolean() })),
  }),
};
