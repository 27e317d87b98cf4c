// VM presets the wizard offers (CLI `nova wizard vm`, the UI wizard through vm.wizard):
// win11 (q35, UEFI Secure Boot, TPM 2.0, balloon, virtio disk) and gpu-labs (win11 + GPU
// passthrough + hugepages). Output is a NovaFile [vm.NAME] entry plus guidance lines.
import { formatBytes } from '../../shared/sizes.js';
import { PRESET_DEFAULTS } from '../../shared/presets.js';
import type { PresetName } from '../../shared/presets.js';

export type { PresetName };

export const PRESETS: { name: PresetName; title: string; description: string }[] = Object.values(PRESET_DEFAULTS).map(({ name, title, description }) => ({ name, title, description }));

export interface WizardOptions {
  name: string;
  preset: PresetName;
  memory?: number;
  cpu?: number;
  diskSize?: number;
  iso?: string;
  virtioWin?: string;
  gpu?: string;
  network?: string;
}

const GiB = 1024 ** 3;

/** Bytes → the shortest exact NovaFile size ("64Gi", "512Mi"). */
export function sizeText(bytes: number): string {
  for (const [unit, mul] of [['Ti', 1024 ** 4], ['Gi', GiB], ['Mi', 1024 ** 2], ['Ki', 1024]] as const) {
    if (bytes % mul === 0) return `${bytes / mul}${unit}`;
  }
  return String(bytes);
}

export function renderPreset(o: WizardOptions): { spec: Record<string, unknown>; toml: string; guidance: string[] } {
  const gpuLab = o.preset === 'gpu-labs';
  const d = PRESET_DEFAULTS[o.preset];
  const memory = o.memory ?? d.memoryGiB * GiB;
  const isos = [o.iso, o.virtioWin].filter((x): x is string => Boolean(x));
  const spec: Record<string, unknown> = {
    preset: o.preset,
    os: 'windows',
    cpu: o.cpu ?? d.cpu,
    memory: sizeText(memory),
    firmware: 'uefi',
    secure_boot: d.secureBoot,
    tpm: d.tpm,
    balloon: d.balloon,
    disks: [{ path: `${o.name}.qcow2`, size: sizeText(o.diskSize ?? d.diskGiB * GiB), format: 'qcow2', bus: 'virtio' }],
    ...(isos.length ? { iso: isos } : {}),
    network: o.network ?? 'user',
    ...(gpuLab ? { gpu_passthrough: true, hugepages: true, ...(o.gpu ? { gpu: o.gpu } : {}) } : {}),
  };
  const guidance = [
    'Secure Boot uses OVMF with the Microsoft keys enrolled (a per-VM copy of OVMF_VARS_4M.ms.fd); TPM 2.0 is emulated by swtpm.',
    d.balloon
      ? `Balloon: the guest starts with ${formatBytes(memory)}; Nova can reclaim unused RAM only once the virtio-win balloon driver and service (blnsvr) run in Windows. Ballooned-out RAM is not available to the guest until inflated back; keep Windows 11 at 4 GiB or more.`
      : `No balloon: GPU passthrough pins all ${formatBytes(memory)} of guest RAM, so size memory for the whole session.`,
    o.virtioWin
      ? 'During setup choose "Load driver" and pick viostor\\w11\\amd64 on the virtio-win disc so the installer sees the virtio disk; afterwards run virtio-win-guest-tools.exe.'
      : 'The disk is virtio: Windows setup needs the viostor driver — download virtio-win.iso (fedorapeople.org) and pass it with --virtio-win PATH, then "Load driver" during setup.',
    'The NIC is an Intel e1000e so networking works before any driver install.',
  ];
  if (!o.iso) guidance.push('Add the Windows 11 installer with --iso PATH (or iso = [...] in the NovaFile).');
  if (gpuLab) {
    guidance.push(
      'GPU passthrough: enable the IOMMU (intel_iommu=on or amd_iommu=on, plus iommu=pt on the kernel command line), then check `nova gpu list` for a clean IOMMU group.',
      o.gpu ? `The GPU at ${o.gpu} (and its companion functions) is bound to vfio-pci when the VM starts.` : 'Pick the GPU with --gpu 0000:01:00.0 (see `nova gpu list`), or Nova asks the GPU backend for the one marked for passthrough.',
      `Hugepages: reserve ${Math.ceil(memory / (2 * 1024 ** 2))} × 2 MiB pages before starting (echo N > /proc/sys/vm/nr_hugepages) or boot with hugepagesz=1G hugepages=${Math.ceil(memory / GiB)}; the VM's RAM is preallocated from /dev/hugepages.`,
    );
  }
  return { spec, toml: toToml(o.name, spec), guidance };
}

function tomlValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k} = ${tomlValue(x)}`).join(', ')} }`;
  return '""';
}

export function toToml(name: string, spec: Record<string, unknown>): string {
  const lines = [`[vm.${name}]`, ...Object.entries(spec).map(([k, v]) => `${k} = ${tomlValue(v)}`)];
  return `${lines.join('\n')}\n`;
}
