import { readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { linkName, list, readAttr, readHexId, readInt, sysPaths } from './sysfs.js';

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

async function readRebar(dir: string): Promise<RebarInfo> {
  const files = (await list(dir)).filter((f) => /^resource\d_resize$/.test(f));
  if (files.length === 0) return { supported: false };
  // The largest resizable BAR is the VRAM aperture (BAR1 on NVIDIA, BAR0 on AMD/Intel).
  let best: RebarInfo = { supported: false };
  const resource = ((await readAttr(join(dir, 'resource'))) ?? '').split('\n');
  for (const f of files) {
    const bar = Number(f[8]);
    const mask = Number.parseInt((await readAttr(join(dir, f))) ?? '0', 16);
    if (!mask) continue;
    const maxBytes = 2 ** (31 - Math.clz32(mask)) * 1024 ** 2; // bit n = 1 MiB << n
    const [start, end] = (resource[bar] ?? '').trim().split(/\s+/).map((x) => Number.parseInt(x ?? '0', 16));
    const currentBytes = start !== undefined && end !== undefined && end > start ? end - start + 1 : undefined;
    if (!best.maxBytes || maxBytes > best.maxBytes) best = { supported: true, bar, maxBytes, ...(currentBytes ? { currentBytes } : {}) };
  }
  return best;
}

export async function readPciDevice(root: string, address: string): Promise<PciDevice | undefined> {
  const dir = sysPaths(root).device(address);
  const [cls, vendorId, deviceId, subVendorId, subDeviceId, revision] = await Promise.all([
    readHexId(join(dir, 'class'), 6),
    readHexId(join(dir, 'vendor')),
    readHexId(join(dir, 'device')),
    readHexId(join(dir, 'subsystem_vendor')),
    readHexId(join(dir, 'subsystem_device')),
    readHexId(join(dir, 'revision'), 2),
  ]);
  if (!cls || !vendorId || !deviceId) return undefined;
  const [driver, override, group, reset, power, d3cold, bootVga, total, num, physfn, rebar, speed, width, maxSpeed, maxWidth, numa] =
    await Promise.all([
      linkName(join(dir, 'driver')),
      readAttr(join(dir, 'driver_override')),
      linkName(join(dir, 'iommu_group')),
      readAttr(join(dir, 'reset_method')),
      readAttr(join(dir, 'power_state')),
      readAttr(join(dir, 'd3cold_allowed')),
      readAttr(join(dir, 'boot_vga')),
      readInt(join(dir, 'sriov_totalvfs')),
      readInt(join(dir, 'sriov_numvfs')),
      linkName(join(dir, 'physfn')),
      readRebar(dir),
      readAttr(join(dir, 'current_link_speed')),
      readAttr(join(dir, 'current_link_width')),
      readAttr(join(dir, 'max_link_speed')),
      readAttr(join(dir, 'max_link_width')),
      readInt(join(dir, 'numa_node')),
    ]);
  let sriov: PciDevice['sriov'];
  if (total !== undefined && total > 0) {
    const vfLinks = (await list(dir)).filter((f) => /^virtfn\d+$/.test(f)).sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    const vfs = (await Promise.all(vfLinks.map((l) => linkName(join(dir, l))))).filter((x): x is string => Boolean(x));
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
  await Promise.all(
    names.map(async (g) => groups.set(Number(g), (await list(join(p.iommuGroups, g, 'devices'))).sort())),
  );
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

/** Who holds /dev/dri/cardN or renderDN of each GPU: compositors, Xwayland, CUDA/ROCm programs. */
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
  const pids = (await list(p.proc)).filter((d) => /^\d+$/.test(d));
  await Promise.all(
    pids.map(async (pid) => {
      const fds = await list(join(p.proc, pid, 'fd'));
      const seen = new Set<string>();
      for (const fd of fds) {
        let target: string | undefined;
        try {
          target = await readlink(join(p.proc, pid, 'fd', fd));
        } catch {
          continue;
        }
        const addr = nodeToAddr.get(target);
        if (!addr || seen.has(target)) continue;
        seen.add(target);
        const comm = (await readAttr(join(p.proc, pid, 'comm'))) ?? '?';
        holders.set(addr, [...(holders.get(addr) ?? []), { pid: Number(pid), comm, node: target }]);
      }
    }),
  );
  for (const list of holders.values()) list.sort((a, b) => a.pid - b.pid);
  return holders;
}

/** Reads every PCI device and the host facts in one pass. */
export async function scanPci(root: string): Promise<PciScan> {
  const p = sysPaths(root);
  const addrs = (await list(p.devices)).sort();
  const [devices, iommu, modules, drivers, hugepages, holders] = await Promise.all([
    Promise.all(addrs.map((a) => readPciDevice(root, a))),
    readIommu(root),
    Promise.all(WATCHED_MODULES.map(async (m) => ((await list(join(p.modules, m))).length > 0 ? m : undefined))),
    list(p.drivers),
    readHugepages(root),
    readHolders(root),
  ]);
  const map = new Map<string, PciDevice>();
  for (const d of devices) if (d) map.set(d.address, d);
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
