// VM presets: their defaults and the words that describe them, in one place for the CLI
// (`nova vm wizard`, through the engine) and the app's wizard, so both say and do the same.

export type PresetName = 'win11' | 'gpu-labs';

export interface PresetDefaults {
  name: PresetName;
  title: string;
  description: string;
  cpu: number;
  memoryGiB: number;
  diskGiB: number;
  secureBoot: boolean;
  tpm: boolean;
  /** Off with GPU passthrough: VFIO pins every guest page, so the balloon cannot return memory. */
  balloon: boolean;
}

export const PRESET_DEFAULTS: Record<PresetName, PresetDefaults> = {
  win11: {
    name: 'win11', title: 'Windows 11', cpu: 4, memoryGiB: 8, diskGiB: 64, secureBoot: true, tpm: true, balloon: true,
    description: 'Windows 11 that installs: UEFI with Secure Boot (Microsoft keys), TPM 2.0, Hyper-V enlightenments, 4 vCPU, 8 GiB, virtio disk 64 GiB, balloon.',
  },
  'gpu-labs': {
    name: 'gpu-labs', title: 'Windows 11 GPU lab', cpu: 8, memoryGiB: 16, diskGiB: 100, secureBoot: true, tpm: true, balloon: false,
    description: 'Windows 11 with a GPU passed through (VFIO): Secure Boot, TPM 2.0, hugepages, 8 vCPU, 16 GiB, no balloon (VFIO pins guest memory).',
  },
};
