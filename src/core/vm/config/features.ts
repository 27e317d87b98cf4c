// What a spec implies once presets and OS defaults are applied: one place decides "is this a
// Windows guest", "UEFI?", "Secure Boot?", "TPM?" so the builder, inspect and the wizard agree.
import type { VmSpec } from '../../../shared/schemas/novafile.js';

export interface VmFeatures {
  windows: boolean;
  uefi: boolean;
  secureBoot: boolean;
  tpm: boolean;
  gpuLab: boolean;
  /** virtio: virtio-vga, which a client can resize (the guest's driver follows); vga: standard VGA. */
  display: 'virtio' | 'vga';
}

export function vmFeatures(spec: VmSpec): VmFeatures {
  const winPreset = spec.preset === 'win11' || spec.preset === 'gpu-labs';
  const windows = spec.os === 'windows' || winPreset;
  const secureBoot = spec.secure_boot ?? (winPreset && spec.firmware !== 'bios');
  const uefi = spec.firmware === 'uefi' || secureBoot || (spec.firmware === undefined && windows);
  return {
    windows,
    uefi,
    secureBoot: uefi && secureBoot,
    tpm: spec.tpm ?? winPreset,
    gpuLab: spec.preset === 'gpu-labs',
    display: spec.display ?? (windows ? 'vga' : 'virtio'),
  };
}

/**
 * The explicit Hyper-V enlightenments Windows guests get (not hv-passthrough, which leaks host
 * specifics and breaks migration). Same set virt-manager enables for Windows 10/11.
 */
export const HYPERV_FLAGS = [
  'hv-relaxed',
  'hv-vapic',
  'hv-spinlocks=0x1fff',
  'hv-vpindex',
  'hv-runtime',
  'hv-synic',
  'hv-stimer',
  'hv-reset',
  'hv-frequencies',
  'hv-time',
  'hv-tlbflush',
  'hv-ipi',
] as const;

/** NVIDIA's consumer drivers used to refuse running under a hypervisor: hide it for GPU labs. */
export const GPU_LAB_CPU_FLAGS = ['hv-vendor-id=NovaGpuLab01', 'kvm=off'] as const;
