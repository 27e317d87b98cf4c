import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { linkName, list, readAttr, readInt, sysPaths } from './sysfs.js';

// Reads PCI devices and the host facts GPU diagnostics need from a sysfs root. Pure reading:
// nothing here writes, so the scanner is safe to run as any user and as often as the UI likes.

export interface RebarInfo {
  supported: boolean;
  bar?: number;
  currentBytes?: number;
  maxBytes?: number;
}

export interface PciDevice {
  address: string;
  /** Six hex digits: base class, subclass, prog-if (`030000`). */
  classCode: string;
  vendorId: string;
  deviceId: string;
  subVendorId: string;
  subDeviceId: string;
  revision?: string;
  driver?: string;
  driverOverride?: string;
  iommuGroup?: number;
  resetMethods: string[];
  powerState?: string;
  d3coldAllowed?: boolean;
  bootVga?: boolean;
  sriov?: { totalVfs: number; numVfs: number; vfs: string[] };
  physfn?: string;
  rebar: RebarInfo;
  link?: { speed?: string; width?: string; maxSpeed?: string; maxWidth?: string };
  numaNode?: number;
}

export interface Hugepages {
  sizeBytes: number;
  total: number;
  free: number;
}

export interface DisplayHolder {
  pid: number;
  comm: string;
  node: string;
}

export interface HostGpuFacts {
  iommu: { enabled: boolean; groups: Map<number, string[]>; cmdline: string };
  /** Loaded kernel modules that matter here (vfio, vfio_pci, vfio_iommu_type1, vendor_reset). */
  modules: Set<string>;
  /** PCI drivers registered with the kernel (`/sys/bus/pci/drivers`). */
  drivers: Set<string>;
  hugepages: Hugepages[];
  /** PCI address → processes holding its /dev/dri nodes. */
  holders: Map<string, DisplayHolder[]>;
}

export interface PciScan {
  devices: Map<string, PciDevice>;
  host: HostGpuFacts;
}

const WATCHED_MODULES = ['vfio', 'vfio_pci', 'vfio_iommu_type1', 'vfio_pci_core', 'vendor_reset', 'kvm', 'nvidia', 'nouveau', 'amdgpu', 'i915', 'xe'];

// Sysfs attributes are tiny and answered from kernel memory: synchronous reads, guided by one
// readdir per device (absent attributes are never tried), are ~10x faster than async ones here.
function attr(dir: string, names: Set<string>, name: string): string | undefined {
  if (!names.has(name)) return undefined;
  try {
    return readFileSync(join(dir, name), 'utf8').trim();
  } catch {
    return undefined;
  }
}
const hexAttr = (dir: string, names: Set<string>, name: string, width = 4) => attr(dir, names, name)?.replace(/^0x/i, '').toLowerCase().padStart(width, '0');
const intAttr = (dir: string, names: Set<string>, name: string) => {
  const v = attr(dir, names, name);
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
};
function linkAttr(dir: string, names: Set<string>, name: string): string | undefined {
  if (!names.has(name)) return undefined;
  try {
    return basename(readlinkSync(join(dir, name)));
  } catch {
    return undefined;
  }
}

function readRebar(dir: string, names: Set<string>): RebarInfo {
  const files = [...names].filter((f) => /^resource\d_resize$/.test(f));
  if (files.length === 0) return { supported: false };
  // The largest resizable BAR is the VRAM aperture (BAR1 on NVIDIA, BAR0 on AMD/Intel).
  let best: RebarInfo = { supported: false };
  const resource = (attr(dir, names, 'resource') ?? '').split('\n');
  for (const f of files) {
    const bar = Number(f[8]);
    const mask = Number.parseInt(attr(dir, names, f) ?? '0', 16);
    if (!mask) continue;
    const maxBytes = 2 ** (31 - Math.clz32(mask)) * 1024 ** 2; // bit n = 1 MiB << n
    const [start, end] = (resource[bar] ?? '').trim().split(/\s+/).map((x) => Number.parseInt(x ?? '0', 16));
    const currentBytes = start !== undefined && end !== undefined && end > start ? end - start + 1 : undefined;
    if (!best.maxBytes || maxBytes > best.maxBytes) best = { supported: true, bar, maxBytes, ...(currentBytes ? { currentBytes } : {}) };
  }
  return best;
}

export async function readPciDevice(root: string, address: string): Promise<PciDevice | undefined> {
  return readPciDeviceSync(root, address);
}

const MODALIAS = /^pci:v0000([0-9A-F]{4})d0000([0-9A-F]{4})sv0000([0-9A-F]{4})sd0000([0-9A-F]{4})bc([0-9A-F]{2})sc([0-9A-F]{2})i([0-9A-F]{2})$/i;

/**
 * Ids, class, driver and group from three reads (`modalias` carries every id): enough for devices
 * that are not in a GPU's slot. Falls back to the full read where modalias is missing.
 */
function readPciDeviceLight(root: string, address: string): PciDevice | undefined {
  const dir = sysPaths(root).device(address);
  let m: RegExpExecArray | null = null;
  try {
    m = MODALIAS.exec(readFileSync(join(dir, 'modalias'), 'utf8').trim());
  } catch {
    /* no modalias */
  }
  if (!m) return readPciDeviceSync(root, address);
  const link = (name: string) => {
    try {
      return basename(readlinkSync(join(dir, name)));
    } catch {
      return undefined;
    }
  };
  const driver = link('driver');
  const group = link('iommu_group');
  const lc = (x: string) => x.toLowerCase();
  return {
    address,
    classCode: lc(`${m[5]}${m[6]}${m[7]}`),
    vendorId: lc(m[1]!),
    deviceId: lc(m[2]!),
    subVendorId: lc(m[3]!),
    subDeviceId: lc(m[4]!),
    ...(driver ? { driver } : {}),
    ...(group !== undefined && /^\d+$/.test(group) ? { iommuGroup: Number(group) } : {}),
    resetMethods: [],
    rebar: { supported: false },
  };
}

function readPciDeviceSync(root: string, address: string): PciDevice | undefined {
  const dir = sysPaths(root).device(address);
  let names: Set<string>;
  try {
    names = new Set(readdirSync(dir));
  } catch {
    return undefined;
  }
  const cls = hexAttr(dir, names, 'class', 6);
  const vendorId = hexAttr(dir, names, 'vendor');
  const deviceId = hexAttr(dir, names, 'device');
  if (!cls || !vendorId || !deviceId) return undefined;
  const subVendorId = hexAttr(dir, names, 'subsystem_vendor');
  const subDeviceId = hexAttr(dir, names, 'subsystem_device');
  const revision = hexAttr(dir, names, 'revision', 2);
  const driver = linkAttr(dir, names, 'driver');
  const override = attr(dir, names, 'driver_override');
  const group = linkAttr(dir, names, 'iommu_group');
  const reset = attr(dir, names, 'reset_method');
  const power = attr(dir, names, 'power_state');
  const d3cold = attr(dir, names, 'd3cold_allowed');
  const bootVga = attr(dir, names, 'boot_vga');
  const total = intAttr(dir, names, 'sriov_totalvfs');
  const num = intAttr(dir, names, 'sriov_numvfs');
  const physfn = linkAttr(dir, names, 'physfn');
  const rebar = readRebar(dir, names);
  const speed = attr(dir, names, 'current_link_speed');
  const width = attr(dir, names, 'current_link_width');
  const maxSpeed = attr(dir, names, 'max_link_speed');
  const maxWidth = attr(dir, names, 'max_link_width');
  const numa = intAttr(dir, names, 'numa_node');
  let sriov: PciDevice['sriov'];
  if (total !== undefined && total > 0) {
    const vfLinks = [...names].filter((f) => /^virtfn\d+$/.test(f)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    const vfs = vfLinks.map((l) => linkAttr(dir, names, l)).filter((x): x is string => Boolean(x));
    sriov = { totalVfs: total, numVfs: num ?? 0, vfs };
  }
  const link = speed || width ? { speed, width, maxSpeed, maxWidth } : undefined;
  return {
    address,
    classCode: cls,
    vendorId,
    deviceId,
    subVendorId: subVendorId ?? '0000',
    subDeviceId: subDeviceId ?? '0000',
    ...(revision ? { revision } : {}),
    ...(driver ? { driver } : {}),
    ...(override && override !== '(null)' ? { driverOverride: override } : {}),
    ...(group !== undefined && /^\d+$/.test(group) ? { iommuGroup: Number(group) } : {}),
    resetMethods: (reset ?? '').split(/\s+/).filter(Boolean),
    ...(power ? { powerState: power } : {}),
    ...(d3cold !== undefined ? { d3coldAllowed: d3cold === '1' } : {}),
    ...(bootVga !== undefined ? { bootVga: bootVga === '1' } : {}),
    ...(sriov ? { sriov } : {}),
    ...(physfn ? { physfn } : {}),
    rebar,
    ...(link ? { link } : {}),
    ...(numa !== undefined && numa >= 0 ? { numaNode: numa } : {}),
  };
}

async function readIommu(root: string): Promise<HostGpuFacts['iommu']> {
  const p = sysPaths(root);
  const groups = new Map<number, string[]>();
  const names = (await list(p.iommuGroups)).filter((g) => /^\d+$/.test(g));
  for (const g of names) {
    try {
      groups.set(Number(g), readdirSync(join(p.iommuGroups, g, 'devices')).sort());
    } catch {
      groups.set(Number(g), []);
    }
  }
  const cmdline = (await readAttr(join(p.proc, 'cmdline'))) ?? '';
  return { enabled: groups.size > 0, groups, cmdline };
}

async function readHugepages(root: string): Promise<Hugepages[]> {
  const dir = sysPaths(root).hugepages;
  const out: Hugepages[] = [];
  for (const d of await list(dir)) {
    const kb = /^hugepages-(\d+)kB$/.exec(d)?.[1];
    if (!kb) continue;
    const [total, free] = await Promise.all([readInt(join(dir, d, 'nr_hugepages')), readInt(join(dir, d, 'free_hugepages'))]);
    out.push({ sizeBytes: Number(kb) * 1024, total: total ?? 0, free: free ?? 0 });
  }
  return out.sort((a, b) => a.sizeBytes - b.sizeBytes);
}

/**
 * Who holds /dev/dri/cardN or renderDN of each GPU: compositors, Xwayland, CUDA/ROCm programs.
 * Synchronous: a desktop has thousands of fds and one readlink each is far cheaper than a
 * promise each. Unreadable processes (other users, when not root) are skipped.
 */
async function readHolders(root: string): Promise<Map<string, DisplayHolder[]>> {
  const p = sysPaths(root);
  const nodeToAddr = new Map<string, string>();
  for (const node of await list(p.drm)) {
    if (!/^(card\d+|renderD\d+)$/.test(node)) continue;
    const addr = await linkName(join(p.drm, node, 'device'));
    if (addr) nodeToAddr.set(`/dev/dri/${node}`, addr);
  }
  const holders = new Map<string, DisplayHolder[]>();
  if (nodeToAddr.size === 0) return holders;
  for (const pid of (await list(p.proc)).filter((d) => /^\d+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(join(p.proc, pid, 'fd'));
    } catch {
      continue;
    }
    const seen = new Set<string>();
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(join(p.proc, pid, 'fd', fd));
      } catch {
        continue;
      }
      const addr = nodeToAddr.get(target);
      if (!addr || seen.has(target)) continue;
      seen.add(target);
      const comm = (await readAttr(join(p.proc, pid, 'comm'))) ?? '?';
      holders.set(addr, [...(holders.get(addr) ?? []), { pid: Number(pid), comm, node: target }]);
    }
  }
  for (const l of holders.values()) l.sort((a, b) => a.pid - b.pid);
  return holders;
}

/** Reads every PCI device and the host facts in one pass. */
export async function scanPci(root: string): Promise<PciScan> {
  const p = sysPaths(root);
  const addrs = (await list(p.devices)).sort();
  const [devices, iommu, modules, drivers, hugepages, holders] = await Promise.all([
    Promise.resolve(addrs.map((a) => readPciDeviceLight(root, a))),
    readIommu(root),
    Promise.all(WATCHED_MODULES.map(async (m) => ((await list(join(p.modules, m))).length > 0 ? m : undefined))),
    list(p.drivers),
    readHugepages(root),
    readHolders(root),
  ]);
  const map = new Map<string, PciDevice>();
  for (const d of devices) if (d) map.set(d.address, d);
  // Full detail (reset, power, BARs, SR-IOV, revision) only for the slots that hold a GPU.
  const gpuSlots = new Set([...map.values()].filter((d) => d.classCode.startsWith('03')).map((d) => d.address.slice(0, -2)));
  for (const d of map.values()) {
    if (!gpuSlots.has(d.address.slice(0, -2))) continue;
    const full = readPciDeviceSync(root, d.address);
    if (full) map.set(d.address, full);
  }
  return {
    devices: map,
    host: {
      iommu,
      modules: new Set(modules.filter((m): m is string => Boolean(m))),
      drivers: new Set(drivers),
      hugepages,
      holders,
    },
  };
}
