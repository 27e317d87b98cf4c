// Names and generations for the GPUs people pass through. No maintained PCI id package exists on
// npm (`pci-ids` is a parser without current data), and the host's pci.ids is often older than
// the cards (Debian 12's predates Blackwell), so the GPUs Nova reasons about are curated here and
// everything else falls back to the host's pci.ids (see pciids.ts).

export type VendorKind = 'nvidia' | 'amd' | 'intel' | 'other';

/** A reset behaviour known to bite passthrough users, checked by the diagnostics. */
export type ResetQuirk = 'vendor-reset' | 'navi2x' | 'navi3x' | 'blackwell';

export interface Generation {
  label: string;
  vendor: VendorKind;
  /** Higher is newer/faster: breaks ties when Nova picks a GPU for `gpu_passthrough = true`. */
  rank: number;
  integrated?: boolean;
  datacenter?: boolean;
  resetQuirk?: ResetQuirk;
}

export const GENERATIONS = {
  'nvidia-blackwell': { label: 'Blackwell (RTX 50)', vendor: 'nvidia', rank: 100, resetQuirk: 'blackwell' },
  'nvidia-blackwell-dc': { label: 'Blackwell (datacenter)', vendor: 'nvidia', rank: 99, datacenter: true, resetQuirk: 'blackwell' },
  'nvidia-hopper': { label: 'Hopper (datacenter)', vendor: 'nvidia', rank: 95, datacenter: true },
  'nvidia-ada': { label: 'Ada Lovelace (RTX 40)', vendor: 'nvidia', rank: 90 },
  'nvidia-ada-dc': { label: 'Ada Lovelace (datacenter)', vendor: 'nvidia', rank: 89, datacenter: true },
  'nvidia-ampere': { label: 'Ampere (RTX 30)', vendor: 'nvidia', rank: 80 },
  'nvidia-ampere-dc': { label: 'Ampere (datacenter)', vendor: 'nvidia', rank: 79, datacenter: true },
  'nvidia-turing': { label: 'Turing (RTX 20 / GTX 16)', vendor: 'nvidia', rank: 70 },
  'amd-rdna4': { label: 'RDNA 4 (RX 9000)', vendor: 'amd', rank: 92 },
  'amd-rdna3': { label: 'RDNA 3 (RX 7000)', vendor: 'amd', rank: 85, resetQuirk: 'navi3x' },
  'amd-rdna2': { label: 'RDNA 2 (RX 6000)', vendor: 'amd', rank: 78, resetQuirk: 'navi2x' },
  'amd-rdna1': { label: 'RDNA 1 (RX 5000)', vendor: 'amd', rank: 68, resetQuirk: 'vendor-reset' },
  'amd-vega': { label: 'GCN 5 (Vega)', vendor: 'amd', rank: 60, resetQuirk: 'vendor-reset' },
  'amd-polaris': { label: 'GCN 4 (Polaris, RX 400/500)', vendor: 'amd', rank: 55, resetQuirk: 'vendor-reset' },
  'amd-cdna': { label: 'CDNA (Instinct)', vendor: 'amd', rank: 94, datacenter: true },
  'amd-igpu': { label: 'Radeon integrated (RDNA 2/3)', vendor: 'amd', rank: 20, integrated: true },
  'intel-battlemage': { label: 'Arc B-series (Battlemage)', vendor: 'intel', rank: 74 },
  'intel-alchemist': { label: 'Arc A-series (Alchemist)', vendor: 'intel', rank: 72 },
  'intel-flex': { label: 'Data Center GPU Flex/Max', vendor: 'intel', rank: 73, datacenter: true },
  'intel-igpu': { label: 'Intel integrated (UHD / Iris Xe / Arc)', vendor: 'intel', rank: 10, integrated: true },
} as const satisfies Record<string, Generation>;
export type GenerationKey = keyof typeof GENERATIONS;

interface ModelEntry {
  name: string;
  chip: string;
  gen: GenerationKey;
  /** Cards sharing a device id, told apart by PCI revision. */
  byRevision?: Record<string, string>;
}

const m = (name: string, chip: string, gen: GenerationKey, byRevision?: Record<string, string>): ModelEntry => ({ name, chip, gen, byRevision });

/** vendor id → device id → model (ids lowercase hex without 0x). */
export const MODELS: Record<string, Record<string, ModelEntry>> = {
  '10de': {
    '2b85': m('GeForce RTX 5090', 'GB202', 'nvidia-blackwell'),
    '2b87': m('GeForce RTX 5090 D', 'GB202', 'nvidia-blackwell'),
    '2c02': m('GeForce RTX 5080', 'GB203', 'nvidia-blackwell'),
    '2c05': m('GeForce RTX 5070 Ti', 'GB203', 'nvidia-blackwell'),
    '2f04': m('GeForce RTX 5070', 'GB205', 'nvidia-blackwell'),
    '2d04': m('GeForce RTX 5060 Ti', 'GB206', 'nvidia-blackwell'),
    '2d05': m('GeForce RTX 5060', 'GB206', 'nvidia-blackwell'),
    '2bb1': m('RTX PRO 6000 Blackwell', 'GB202GL', 'nvidia-blackwell-dc'),
    '2901': m('B200', 'GB100', 'nvidia-blackwell-dc'),
    '2330': m('H100 SXM5', 'GH100', 'nvidia-hopper'),
    '2331': m('H100 PCIe', 'GH100', 'nvidia-hopper'),
    '2335': m('H200', 'GH100', 'nvidia-hopper'),
    '2684': m('GeForce RTX 4090', 'AD102', 'nvidia-ada'),
    '2704': m('GeForce RTX 4080', 'AD103', 'nvidia-ada'),
    '2702': m('GeForce RTX 4080 SUPER', 'AD103', 'nvidia-ada'),
    '2705': m('GeForce RTX 4070 Ti SUPER', 'AD103', 'nvidia-ada'),
    '2782': m('GeForce RTX 4070 Ti', 'AD104', 'nvidia-ada'),
    '2783': m('GeForce RTX 4070 SUPER', 'AD104', 'nvidia-ada'),
    '2786': m('GeForce RTX 4070', 'AD104', 'nvidia-ada'),
    '2803': m('GeForce RTX 4060 Ti', 'AD106', 'nvidia-ada'),
    '2882': m('GeForce RTX 4060', 'AD107', 'nvidia-ada'),
    '26b1': m('RTX 6000 Ada Generation', 'AD102GL', 'nvidia-ada-dc'),
    '26b5': m('L40', 'AD102GL', 'nvidia-ada-dc'),
    '26b9': m('L40S', 'AD102GL', 'nvidia-ada-dc'),
    '27b8': m('L4', 'AD104GL', 'nvidia-ada-dc'),
    '2203': m('GeForce RTX 3090 Ti', 'GA102', 'nvidia-ampere'),
    '2204': m('GeForce RTX 3090', 'GA102', 'nvidia-ampere'),
    '2206': m('GeForce RTX 3080', 'GA102', 'nvidia-ampere'),
    '2208': m('GeForce RTX 3080 Ti', 'GA102', 'nvidia-ampere'),
    '2216': m('GeForce RTX 3080 LHR', 'GA102', 'nvidia-ampere'),
    '2482': m('GeForce RTX 3070 Ti', 'GA104', 'nvidia-ampere'),
    '2484': m('GeForce RTX 3070', 'GA104', 'nvidia-ampere'),
    '2489': m('GeForce RTX 3060 Ti', 'GA104', 'nvidia-ampere'),
    '2503': m('GeForce RTX 3060', 'GA106', 'nvidia-ampere'),
    '2507': m('GeForce RTX 3050', 'GA106', 'nvidia-ampere'),
    '20b0': m('A100 SXM4 40GB', 'GA100', 'nvidia-ampere-dc'),
    '20b5': m('A100 PCIe 80GB', 'GA100', 'nvidia-ampere-dc'),
    '20f1': m('A100 PCIe 40GB', 'GA100', 'nvidia-ampere-dc'),
    '2236': m('A10', 'GA102GL', 'nvidia-ampere-dc'),
    '25b6': m('A16 / A2', 'GA107GL', 'nvidia-ampere-dc'),
    '1e04': m('GeForce RTX 2080 Ti', 'TU102', 'nvidia-turing'),
    '1e87': m('GeForce RTX 2080', 'TU104', 'nvidia-turing'),
    '1f02': m('GeForce RTX 2070', 'TU106', 'nvidia-turing'),
    '2182': m('GeForce GTX 1660 Ti', 'TU116', 'nvidia-turing'),
    '1eb8': m('Tesla T4', 'TU104GL', 'nvidia-turing'),
  },
  '1002': {
    '7550': m('Radeon RX 9070 XT / 9070', 'Navi 48', 'amd-rdna4'),
    '7590': m('Radeon RX 9060 XT', 'Navi 44', 'amd-rdna4'),
    '744c': m('Radeon RX 7900 XTX / XT / GRE', 'Navi 31', 'amd-rdna3', { c8: 'Radeon RX 7900 XTX', cc: 'Radeon RX 7900 XT', ce: 'Radeon RX 7900 GRE' }),
    '747e': m('Radeon RX 7800 XT / 7700 XT', 'Navi 32', 'amd-rdna3', { c8: 'Radeon RX 7800 XT', ff: 'Radeon RX 7700 XT' }),
    '7480': m('Radeon RX 7600 / 7600 XT', 'Navi 33', 'amd-rdna3'),
    '73bf': m('Radeon RX 6800 / 6800 XT / 6900 XT', 'Navi 21', 'amd-rdna2', { c0: 'Radeon RX 6900 XT', c1: 'Radeon RX 6800 XT', c3: 'Radeon RX 6800' }),
    '73a5': m('Radeon RX 6950 XT', 'Navi 21', 'amd-rdna2'),
    '73df': m('Radeon RX 6700 XT / 6750 XT', 'Navi 22', 'amd-rdna2'),
    '73ff': m('Radeon RX 6600 / 6600 XT', 'Navi 23', 'amd-rdna2'),
    '743f': m('Radeon RX 6500 XT / 6400', 'Navi 24', 'amd-rdna2'),
    '731f': m('Radeon RX 5700 / 5700 XT', 'Navi 10', 'amd-rdna1', { c1: 'Radeon RX 5700 XT', c4: 'Radeon RX 5700' }),
    '7340': m('Radeon RX 5500 XT', 'Navi 14', 'amd-rdna1'),
    '687f': m('Radeon RX Vega 56/64', 'Vega 10', 'amd-vega'),
    '66af': m('Radeon VII', 'Vega 20', 'amd-vega'),
    '67df': m('Radeon RX 470/480/570/580', 'Polaris 10/20', 'amd-polaris'),
    '738c': m('Instinct MI100', 'Arcturus', 'amd-cdna'),
    '740f': m('Instinct MI210', 'Aldebaran', 'amd-cdna'),
    '74a1': m('Instinct MI300X', 'Aqua Vanjaram', 'amd-cdna'),
    '164e': m('Radeon Graphics (Ryzen 7000)', 'Raphael', 'amd-igpu'),
    '15bf': m('Radeon 780M', 'Phoenix', 'amd-igpu'),
    '1681': m('Radeon 680M', 'Rembrandt', 'amd-igpu'),
  },
  '8086': {
    'e20b': m('Arc B580', 'BMG-G21', 'intel-battlemage'),
    'e20c': m('Arc B570', 'BMG-G21', 'intel-battlemage'),
    '56a0': m('Arc A770', 'DG2-512', 'intel-alchemist'),
    '56a1': m('Arc A750', 'DG2-512', 'intel-alchemist'),
    '56a5': m('Arc A380', 'DG2-128', 'intel-alchemist'),
    '56a6': m('Arc A310', 'DG2-128', 'intel-alchemist'),
    '56c0': m('Data Center GPU Flex 170', 'ATS-M150', 'intel-flex'),
    '0bd5': m('Data Center GPU Max 1550', 'Ponte Vecchio', 'intel-flex'),
    'a780': m('UHD Graphics 770 (Raptor Lake-S)', 'RPL-S GT1', 'intel-igpu'),
    '4680': m('UHD Graphics 770 (Alder Lake-S)', 'ADL-S GT1', 'intel-igpu'),
    '46a6': m('Iris Xe Graphics (Alder Lake-P)', 'ADL-P GT2', 'intel-igpu'),
    '9a49': m('Iris Xe Graphics (Tiger Lake)', 'TGL GT2', 'intel-igpu'),
    '7d55': m('Arc Graphics (Meteor Lake)', 'MTL', 'intel-igpu'),
    '3e92': m('UHD Graphics 630 (Coffee Lake)', 'CFL GT2', 'intel-igpu'),
  },
};

export const VENDORS: Record<string, { name: string; kind: VendorKind; brand: string }> = {
  '10de': { name: 'NVIDIA Corporation', kind: 'nvidia', brand: 'NVIDIA' },
  '1002': { name: 'Advanced Micro Devices, Inc. [AMD/ATI]', kind: 'amd', brand: 'AMD' },
  '1022': { name: 'Advanced Micro Devices, Inc. [AMD]', kind: 'other', brand: 'AMD' },
  '8086': { name: 'Intel Corporation', kind: 'intel', brand: 'Intel' },
  '1a03': { name: 'ASPEED Technology, Inc.', kind: 'other', brand: 'ASPEED' },
  '1b21': { name: 'ASMedia Technology Inc.', kind: 'other', brand: 'ASMedia' },
  '144d': { name: 'Samsung Electronics Co Ltd', kind: 'other', brand: 'Samsung' },
  '10ec': { name: 'Realtek Semiconductor Co., Ltd.', kind: 'other', brand: 'Realtek' },
  '15b3': { name: 'Mellanox Technologies', kind: 'other', brand: 'Mellanox' },
  '1af4': { name: 'Red Hat, Inc.', kind: 'other', brand: 'virtio' },
  '1b36': { name: 'Red Hat, Inc.', kind: 'other', brand: 'QEMU' },
  '1234': { name: 'QEMU', kind: 'other', brand: 'QEMU' },
};

/** PCI class (first four hex digits of `class`) → name, as lspci prints them. */
export const CLASS_NAMES: Record<string, string> = {
  '0100': 'SCSI storage controller',
  '0106': 'SATA controller',
  '0108': 'Non-Volatile memory controller',
  '0200': 'Ethernet controller',
  '0280': 'Network controller',
  '0300': 'VGA compatible controller',
  '0302': '3D controller',
  '0380': 'Display controller',
  '0403': 'Audio device',
  '0600': 'Host bridge',
  '0601': 'ISA bridge',
  '0604': 'PCI bridge',
  '0880': 'System peripheral',
  '0c03': 'USB controller',
  '0c05': 'SMBus',
  '0c80': 'Serial bus controller',
  '1180': 'Signal processing controller',
};

export const isGpuClass = (classCode: string) => classCode.startsWith('03');
export const isBridgeClass = (classCode: string) => classCode.startsWith('06');

export interface ModelLookup {
  name?: string;
  chip?: string;
  generation?: Generation & { key: GenerationKey };
}

export function lookupModel(vendorId: string, deviceId: string, revision?: string): ModelLookup {
  const entry = MODELS[vendorId]?.[deviceId];
  if (!entry) return {};
  const name = (revision && entry.byRevision?.[revision]) || entry.name;
  return { name, chip: entry.chip, generation: { ...GENERATIONS[entry.gen], key: entry.gen } };
}
