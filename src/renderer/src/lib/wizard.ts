import { PRESET_DEFAULTS as ENGINE_PRESETS, renderPreset, sizeText, toToml } from '../../../shared/presets.js';
import type { PresetOptions, RenderedPreset } from '../../../shared/presets.js';
import { deviceProblems, withDevices } from './wizardDevices';
import type { WizardNic, WizardShare } from './wizardDevices';

// The VM wizard's model: pure data → NovaFile [vm.NAME] entry and vm.create input.

export const PRESETS = ['blank', 'win11', 'gpu-labs'] as const;
export type Preset = (typeof PRESETS)[number];

/** What the VM boots: an installer ISO onto a new disk, a catalog cloud image (downloaded), an existing disk, or a kernel. */
export const SOURCES = ['iso', 'catalog', 'disk', 'kernel'] as const;
export type Source = (typeof SOURCES)[number];

export interface WizardState {
  preset: Preset;
  source: Source;
  /** The virtio-win drivers ISO (Windows), the second CD. */
  virtioWin: string;
  /** A catalog image name and, once pulled, its stored file (the new disk's backing file). */
  osImage: string;
  osImagePath: string;
  /** source = disk: the disk image to boot. */
  existingDisk: string;
  kernel: string;
  initrd: string;
  cmdline: string;
  name: string;
  cpu: number;
  memoryGiB: number;
  balloon: boolean;
  diskGiB: number;
  /** The storage pool folder the disk goes into ('' = the engine's default pool). */
  diskDir: string;
  iso: string;
  firmware: 'uefi' | 'bios';
  secureBoot: boolean;
  tpm: boolean;
  network: string;
  /** NICs after the first (the first is `network`). */
  nics: WizardNic[];
  shares: WizardShare[];
  gpu: string;
  /** cloud-init (catalog images): the user to create and their SSH public keys, one per line. */
  ciUser: string;
  ciKeys: string;
}

type Chosen = 'name' | 'iso' | 'network' | 'nics' | 'shares' | 'gpu' | 'diskDir' | 'source' | 'virtioWin' | 'osImage' | 'osImagePath' | 'existingDisk' | 'kernel' | 'initrd' | 'cmdline' | 'ciUser' | 'ciKeys';
const fromPreset = (p: Exclude<Preset, 'blank'>): Omit<WizardState, Chosen> => {
  const d = ENGINE_PRESETS[p];
  return { preset: p, cpu: d.cpu, memoryGiB: d.memoryGiB, balloon: d.balloon, diskGiB: d.diskGiB, firmware: 'uefi', secureBoot: d.secureBoot, tpm: d.tpm };
};

// win11 and gpu-labs come from the same table the engine (and so `nova vm wizard`) renders.
export const PRESET_DEFAULTS: Record<Preset, Omit<WizardState, Chosen>> = {
  blank: { preset: 'blank', cpu: 2, memoryGiB: 2, balloon: true, diskGiB: 20, firmware: 'uefi', secureBoot: false, tpm: false },
  win11: fromPreset('win11'),
  'gpu-labs': fromPreset('gpu-labs'),
};

export const initialWizard = (preset: Preset = 'blank'): WizardState => ({
  ...PRESET_DEFAULTS[preset],
  name: preset === 'blank' ? '' : preset,
  diskDir: '',
  iso: '',
  network: '',
  nics: [],
  shares: [],
  gpu: '',
  source: 'iso',
  virtioWin: '',
  osImage: '',
  osImagePath: '',
  existingDisk: '',
  kernel: '',
  initrd: '',
  cmdline: '',
  ciUser: '',
  ciKeys: '',
});

const CI_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const CI_KEY = /^(ssh-|ecdsa-|sk-)\S+ \S+/;
const ciKeyLines = (s: WizardState) => s.ciKeys.split('\n').map((l) => l.trim()).filter(Boolean);

/** `[vm.x.cloud_init]` for a catalog image: the user and keys typed (Nova adds its own key for `nova vm ssh`). */
export function cloudInitOf(s: WizardState): Record<string, unknown> | undefined {
  if (s.source !== 'catalog') return undefined;
  const keys = ciKeyLines(s);
  if (!s.ciUser.trim() && !keys.length) return undefined;
  return { ...(s.ciUser.trim() ? { user: s.ciUser.trim() } : {}), ...(keys.length ? { ssh_authorized_keys: keys } : {}) };
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Problems per step field; empty when the VM can be written. */
export function wizardProblems(s: WizardState): Partial<Record<keyof WizardState, string>> {
  const p: Partial<Record<keyof WizardState, string>> = {};
  if (!NAME.test(s.name)) p.name = 'use 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit';
  if (!Number.isInteger(s.cpu) || s.cpu < 1 || s.cpu > 512) p.cpu = 'vCPUs: a whole number from 1 to 512';
  if (!(s.memoryGiB >= 0.25)) p.memoryGiB = 'memory: at least 0.25 GiB';
  if (!(s.diskGiB >= 1)) p.diskGiB = 'disk: at least 1 GiB';
  if (s.secureBoot && s.firmware !== 'uefi') p.secureBoot = 'Secure Boot needs UEFI firmware';
  if (s.preset !== 'blank' && (!s.tpm || !s.secureBoot)) p.tpm = 'Windows 11 needs TPM 2.0 and Secure Boot';
  if (s.preset !== 'blank' && (s.source === 'catalog' || s.source === 'kernel')) p.source = 'Windows installs from its ISO (or boots an existing disk): pick ISO or existing disk';
  else if (s.source === 'catalog' && !s.osImagePath) p.source = s.osImage ? `download ${s.osImage} first` : 'pick a catalog image and download it';
  else if (s.source === 'disk' && !s.existingDisk.trim()) p.source = 'give the path of the disk image to boot';
  else if (s.source === 'kernel' && !s.kernel.trim()) p.source = 'give the path of the kernel (vmlinuz) to boot';
  const d = deviceProblems(s);
  if (d.nics) p.nics = d.nics;
  if (d.shares) p.shares = d.shares;
  if (s.source === 'catalog' && s.ciUser.trim() && !CI_USER.test(s.ciUser.trim())) p.ciUser = 'cloud-init user: a Linux user name like "dev"';
  const badKey = s.source === 'catalog' ? ciKeyLines(s).find((k) => !CI_KEY.test(k)) : undefined;
  if (badKey) p.ciKeys = `not an SSH public key: "${badKey.slice(0, 24)}…" — paste lines like "ssh-ed25519 AAAA… you@host"`;
  return p;
}

/** Human guidance for the memory step (ballooning). */
export function memoryGuidance(s: WizardState, hostBytes?: number): string {
  const host = hostBytes ? ` This host has ${(hostBytes / 1024 ** 3).toFixed(1)} GiB.` : '';
  if (s.gpu || s.preset === 'gpu-labs')
    return `GPU passthrough pins all ${s.memoryGiB} GiB of guest RAM, so the balloon cannot return memory: keep it off and size memory for the whole session.${host}`;
  if (s.balloon)
    return `With the balloon on, ${s.memoryGiB} GiB is the ceiling: Nova can reclaim idle guest memory, so you may give more than the guest usually uses.${host}`;
  return `Without the balloon the guest keeps all ${s.memoryGiB} GiB while it runs.${host}`;
}

/** The new disk's file: in the chosen pool folder; without one, relative (the engine's default pool). */
export const diskPath = (s: WizardState): string => `${s.diskDir ? `${s.diskDir.replace(/\/+$/, '')}/` : ''}${s.name || 'vm'}.qcow2`;

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** GiB as typed in the wizard → bytes, to the MiB (0.5 → 512 MiB). */
const bytesOf = (gib: number): number => Math.round(gib * 1024) * MiB;

/** The preset's options for this state: the same input `nova wizard vm` hands the engine (none for blank). */
export function presetOptions(s: WizardState): PresetOptions | undefined {
  if (s.preset === 'blank') return undefined;
  return {
    name: s.name || 'vm',
    preset: s.preset,
    cpu: s.cpu,
    memory: bytesOf(s.memoryGiB),
    diskSize: bytesOf(s.diskGiB),
    ...(s.source === 'iso' && s.iso ? { iso: s.iso } : {}),
    ...(s.source === 'iso' && s.iso && s.virtioWin ? { virtioWin: s.virtioWin } : {}),
    ...(s.gpu ? { gpu: s.gpu } : {}),
    ...(s.network ? { network: s.network } : {}),
  };
}

/** The boot source's part of the spec (the disk entry itself comes from the Disk step). */
function sourceSpec(s: WizardState): Record<string, unknown> {
  switch (s.source) {
    case 'iso':
      // An installer onto the new disk: CD first on the first boot, then the disk alone.
      return s.iso ? { iso: s.virtioWin ? [s.iso, s.virtioWin] : s.iso, install: true } : {};
    case 'catalog':
      return { disks: [{ path: diskPath(s), size: sizeText(bytesOf(s.diskGiB)), ...(s.osImagePath ? { backing: s.osImagePath } : {}) }] };
    case 'disk':
      return { image: s.existingDisk.trim() };
    case 'kernel':
      return { kernel: s.kernel.trim(), ...(s.initrd.trim() ? { initrd: s.initrd.trim() } : {}), ...(s.cmdline.trim() ? { cmdline: s.cmdline.trim() } : {}) };
  }
}

function blankSpec(s: WizardState): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    cpu: s.cpu,
    memory: sizeText(bytesOf(s.memoryGiB)),
    os: 'linux',
    disks: [{ path: diskPath(s), size: sizeText(bytesOf(s.diskGiB)) }],
    firmware: s.firmware,
    balloon: s.balloon,
  };
  Object.assign(spec, sourceSpec(s));
  if (s.source !== 'iso' && s.source !== 'catalog') delete spec.disks;
  if (s.firmware === 'uefi') spec.secure_boot = s.secureBoot;
  if (s.tpm) spec.tpm = true;
  if (s.network) spec.network = s.network;
  if (s.gpu) {
    spec.gpu_passthrough = true;
    spec.gpu = s.gpu;
  }
  const ci = cloudInitOf(s);
  if (ci) spec.cloud_init = ci;
  return spec;
}

/**
 * The wizard's result: win11 / gpu-labs are the shared preset rendering (what `nova wizard vm`
 * prints) with the firmware, TPM, balloon and disk-folder choices of the later steps on top;
 * blank is the state as typed.
 */
export function wizardRender(s: WizardState): RenderedPreset {
  const name = s.name || 'vm';
  const options = presetOptions(s);
  if (!options) {
    const spec = withDevices(blankSpec(s), s);
    return { spec, toml: toToml(name, spec), guidance: [] };
  }
  const r = renderPreset(options);
  const spec: Record<string, unknown> = { ...r.spec, firmware: s.firmware, tpm: s.tpm, balloon: s.balloon };
  const disks = r.spec.disks as Record<string, unknown>[];
  spec.disks = [{ ...disks[0], path: diskPath(s) }, ...disks.slice(1)];
  if (s.source === 'disk') {
    delete spec.disks;
    spec.image = s.existingDisk.trim();
  }
  if (s.firmware === 'uefi') spec.secure_boot = s.secureBoot;
  else delete spec.secure_boot;
  const full = withDevices(spec, s);
  return { spec: full, toml: toToml(name, full), guidance: r.guidance };
}

/** The NovaFile `vm` section (z.input of vmSpec) for this wizard state. */
export const wizardSpec = (s: WizardState): Record<string, unknown> => wizardRender(s).spec;

/** The `[vm.NAME]` TOML entry to paste into (or append to) a NovaFile. */
export const wizardToml = (s: WizardState): string => wizardRender(s).toml;
