// VM presets: their defaults, the words that describe them and their rendering into a NovaFile
// [vm.NAME] entry, in one place for the CLI (`nova wizard vm`, through the engine's vm.wizard)
// and the app's wizard, so both say and write the same. Pure: no Node, no DOM.
import { formatBytes } from './sizes.js';

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

export const PRESETS: { name: PresetName; title: string; description: string }[] = Object.values(PRESET_DEFAULTS).map(({ name, title, description }) => ({ name, title, description }));

export interface PresetOptions {
  name: string;
  preset: PresetName;
  /** Bytes. */
  memory?: number;
  cpu?: number;
  /** Bytes. */
  diskSize?: number;
  iso?: string;
  virtioWin?: string;
  /** A GPU's PCI address: passed through (gpu-labs passes one through even without it). */
  gpu?: string;
  network?: string;
}

export interface RenderedPreset {
  spec: Record<string, unknown>;
  toml: string;
  guidance: string[];
}

const GiB = 1024 ** 3;

/** Bytes → the shortest exact NovaFile size ("64Gi", "512Mi"). */
export function sizeText(bytes: number): string {
  for (const [unit, mul] of [['Ti', 1024 ** 4], ['Gi', GiB], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % mul === 0) return `${bytes / mul}${unit}`;
  }
  return String(bytes);
}

function presetGuidance(o: PresetOptions, memory: number, balloon: boolean, passthrough: boolean): string[] {
  const guidance = [
    'Secure Boot uses OVMF with the Microsoft keys enrolled (a per-VM copy of OVMF_VARS_4M.ms.fd); TPM 2.0 is emulated by swtpm.',
    balloon
      ? `Balloon: the guest starts with ${formatBytes(memory)}; Nova can reclaim unused RAM only once the virtio-win balloon driver and service (blnsvr) run in Windows. Ballooned-out RAM is not available to the guest until inflated back; keep Windows 11 at 4 GiB or more.`
      : `No balloon: GPU passthrough pins all ${formatBytes(memory)} of guest RAM, so size memory for the whole session.`,
    o.virtioWin
      ? 'During setup choose "Load driver" and pick viostor\\w11\\amd64 on the virtio-win disc so the installer sees the virtio disk; afterwards run virtio-win-guest-tools.exe.'
      : 'The disk is virtio: Windows setup needs the viostor driver — download virtio-win.iso (fedorapeople.org) and pass it with --virtio-win PATH, then "Load driver" during setup.',
    'The NIC is an Intel e1000e so networking works before any driver install.',
  ];
  if (!o.iso) guidance.push('Add the Windows 11 installer with --iso PATH (or iso = [...] in the NovaFile).');
  else guidance.push('On the first boot Nova presses Enter at the installer CD\'s "Press any key to boot from CD or DVD" for you (`nova vm start` waits for it).');
  if (memory < 4 * GiB) {
    guidance.push(
      memory < 512 * 1024 ** 2
        ? `${formatBytes(memory)} is too little even to boot: the firmware, its boot loader and a kernel need 512 MiB or more (below that the VM resets without a message), and Windows 11 needs 4 GiB.`
        : `Windows 11 setup refuses less than 4 GiB of RAM (this VM has ${formatBytes(memory)}).`,
    );
  }
  if (passthrough) {
    guidance.push(
      'GPU passthrough: enable the IOMMU (intel_iommu=on or amd_iommu=on, plus iommu=pt on the kernel command line), then check `nova gpu list` for a clean IOMMU group.',
      o.gpu ? `The GPU at ${o.gpu} (and its companion functions) is bound to vfio-pci when the VM starts.` : 'Pick the GPU with --gpu 0000:01:00.0 (see `nova gpu list`), or Nova asks the GPU backend for the one marked for passthrough.',
    );
  }
  if (o.preset === 'gpu-labs') {
    guidance.push(
      `Hugepages: reserve ${Math.ceil(memory / (2 * 1024 ** 2))} × 2 MiB pages before starting (echo N > /proc/sys/vm/nr_hugepages) or boot with hugepagesz=1G hugepages=${Math.ceil(memory / GiB)}; the VM's RAM is preallocated from /dev/hugepages.`,
    );
  }
  return guidance;
}

/** A preset with the caller's choices → the NovaFile `[vm.NAME]` entry (as data and TOML) and guidance. */
export function renderPreset(o: PresetOptions): RenderedPreset {
  const gpuLab = o.preset === 'gpu-labs';
  const passthrough = gpuLab || Boolean(o.gpu);
  const d = PRESET_DEFAULTS[o.preset];
  const memory = o.memory ?? d.memoryGiB * GiB;
  const balloon = d.balloon && !passthrough;
  const isos = [o.iso, o.virtioWin].filter((x): x is string => Boolean(x));
  const spec: Record<string, unknown> = {
    preset: o.preset,
    os: 'windows',
    cpu: o.cpu ?? d.cpu,
    memory: sizeText(memory),
    firmware: 'uefi',
    secure_boot: d.secureBoot,
    tpm: d.tpm,
    balloon,
    disks: [{ path: `${o.name}.qcow2`, size: sizeText(o.diskSize ?? d.diskGiB * GiB), format: 'qcow2', bus: 'virtio' }],
    ...(isos.length ? { iso: isos } : {}),
    // An installer ISO with a new disk: CD first on the first boot, the disk alone afterwards.
    ...(o.iso ? { install: true } : {}),
    network: o.network ?? 'user',
    ...(passthrough ? { gpu_passthrough: true } : {}),
    ...(gpuLab ? { hugepages: true } : {}),
    ...(o.gpu ? { gpu: o.gpu } : {}),
  };
  return { spec, toml: toToml(o.name, spec), guidance: presetGuidance(o, memory, balloon, passthrough) };
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const tomlKey = (k: string): string => (BARE_KEY.test(k) ? k : JSON.stringify(k));

function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
  return '""';
}

/** One `[vm.NAME]` table: the form `nova wizard vm` prints and the app's wizard shows. */
export function toToml(name: string, spec: Record<string, unknown>): string {
  const lines = [`[vm.${tomlKey(name)}]`, ...Object.entries(spec).filter(([, v]) => v !== undefined).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`)];
  return `${lines.join('\n')}\n`;
}
