import { readFile } from 'node:fs/promises';

// Fallback names from the host's pci.ids (pciutils/hwdata) for devices the curated table does not
// know: group members (USB controllers, NICs) and GPUs newer or older than the table.
const CANDIDATES = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids', '/usr/share/pci.ids'];

export interface PciIds {
  vendor(vendorId: string): string | undefined;
  device(vendorId: string, deviceId: string): string | undefined;
}

let loaded: Promise<PciIds> | undefined;

/** Parses pci.ids once per process; an absent file gives an empty database. */
export function hostPciIds(paths = CANDIDATES): Promise<PciIds> {
  loaded ??= (async () => {
    for (const p of paths) {
      const text = await readFile(p, 'utf8').catch(() => undefined);
      if (text) return parsePciIds(text);
    }
    return parsePciIds('');
  })();
  return loaded;
}

export function parsePciIds(text: string): PciIds {
  const vendors = new Map<string, string>();
  const devices = new Map<string, string>();
  let vendor: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('C ')) break; // device classes follow; we keep our own class names
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('\t\t')) continue; // subsystems
    if (line.startsWith('\t')) {
      if (vendor) devices.set(`${vendor}:${line.slice(1, 5).toLowerCase()}`, line.slice(7).trim());
      continue;
    }
    vendor = line.slice(0, 4).toLowerCase();
    vendors.set(vendor, line.slice(6).trim());
  }
  return { vendor: (v) => vendors.get(v), device: (v, d) => devices.get(`${v}:${d}`) };
}
