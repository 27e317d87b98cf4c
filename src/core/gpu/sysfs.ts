import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

// Small readers over a sysfs root (`/sys` or a fixture tree). Attributes that do not exist read as
// undefined: absence is information in sysfs (no `reset` file = no reset method).
// Synchronous inside (sysfs attributes are kernel memory, they never wait on a disk): a scan reads
// hundreds of them, and each pool round trip of the promise API costs a thread wake-up both ways,
// which on a loaded host was most of a `gpu.list` (and of each /metrics scrape). Async outside.

export const PCI_ADDRESS_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

export const sysPaths = (root: string) => ({
  devices: join(root, 'bus', 'pci', 'devices'),
  device: (addr: string) => join(root, 'bus', 'pci', 'devices', addr),
  drivers: join(root, 'bus', 'pci', 'drivers'),
  driver: (name: string) => join(root, 'bus', 'pci', 'drivers', name),
  driversProbe: join(root, 'bus', 'pci', 'drivers_probe'),
  iommuGroups: join(root, 'kernel', 'iommu_groups'),
  modules: join(root, 'module'),
  hugepages: join(root, 'kernel', 'mm', 'hugepages'),
  drm: join(root, 'class', 'drm'),
  /** /proc sits beside /sys (fixture trees keep a `proc` folder next to their `sys`). */
  proc: join(root, '..', 'proc'),
});

export async function readAttr(path: string): Promise<string | undefined> {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** `0x10de` → `10de`. */
export async function readHexId(path: string, width = 4): Promise<string | undefined> {
  const v = await readAttr(path);
  return v ? v.replace(/^0x/i, '').toLowerCase().padStart(width, '0') : undefined;
}

export async function readInt(path: string): Promise<number | undefined> {
  const v = await readAttr(path);
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** The last path element a symlink points to (`driver` → `vfio-pci`), or undefined. */
export async function linkName(path: string): Promise<string | undefined> {
  try {
    return basename(readlinkSync(path));
  } catch {
    return undefined;
  }
}

export async function list(dir: string): Promise<string[]> {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
