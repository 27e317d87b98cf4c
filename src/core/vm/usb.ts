// Host USB devices for passthrough: read from sysfs (/sys/bus/usb/devices: one folder per device,
// `1-4`, `2-1.3`; root hubs `usbN` and interfaces `1-4:1.0` are left out), named from the system's
// usb.ids when it is installed (Debian: the usb.ids package), else by their own strings.
// NOVA_USB_SYSFS / NOVA_USB_IDS point elsewhere (test fixtures).
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { UsbDevice } from '../../shared/contract/usb.js';
import type { VmContext } from './context.js';
import { processState } from './state.js';
import { listRecords, readRuntime } from './store.js';

const USB_IDS = ['/usr/share/misc/usb.ids', '/var/lib/usbutils/usb.ids', '/usr/share/hwdata/usb.ids'];

export const usbSysfs = (env: NodeJS.ProcessEnv = process.env) => env.NOVA_USB_SYSFS || '/sys/bus/usb/devices';
export const usbIdsFile = (env: NodeJS.ProcessEnv = process.env) => env.NOVA_USB_IDS || USB_IDS.find((f) => existsSync(f));

const read = (dir: string, f: string) => readFile(join(dir, f), 'utf8').then((s) => s.trim(), () => undefined);

/** Vendor and product names from usb.ids ("vvvv  Name", then "\tpppp  Name" lines under it). */
export function usbNames(text: string, wanted: Set<string>): Map<string, { vendor?: string; product?: string }> {
  const out = new Map<string, { vendor?: string; product?: string }>();
  const vendors = new Set([...wanted].map((w) => w.split(':')[0]!));
  let vendor: string | undefined;
  let vendorName: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    if (/^[0-9a-f]{4} {2}/.test(line)) {
      // A new top-level entry; the lists after the vendors (C class, AT, …) end the search.
      vendor = line.slice(0, 4);
      vendorName = line.slice(6).trim();
      if (vendors.has(vendor)) for (const w of wanted) if (w.startsWith(`${vendor}:`)) out.set(w, { ...out.get(w), vendor: vendorName });
    } else if (/^[A-Z]{1,2} /.test(line)) {
      vendor = undefined;
    } else if (vendor && vendors.has(vendor) && /^\t[0-9a-f]{4} {2}/.test(line)) {
      const id = `${vendor}:${line.slice(1, 5)}`;
      if (wanted.has(id)) out.set(id, { vendor: vendorName, product: line.slice(7).trim() });
    }
  }
  return out;
}

/** Every USB device of the host but root hubs. */
export async function listUsb(env: NodeJS.ProcessEnv = process.env): Promise<UsbDevice[]> {
  const root = usbSysfs(env);
  const entries = await readdir(root).catch(() => [] as string[]);
  const devices: UsbDevice[] = [];
  for (const e of entries.filter((x) => /^\d+-[\d.]+$/.test(x)).sort()) {
    const dir = join(root, e);
    const [vid, pid, bus, dev, manufacturer, product, speed, cls] = await Promise.all(['idVendor', 'idProduct', 'busnum', 'devnum', 'manufacturer', 'product', 'speed', 'bDeviceClass'].map((f) => read(dir, f)));
    if (!vid || !pid || !bus || !dev) continue;
    devices.push({
      id: `${vid}:${pid}`.toLowerCase(), bus: Number(bus), address: Number(dev), port: e,
      ...(manufacturer ? { manufacturer } : {}), ...(product ? { product } : {}),
      ...(speed ? { speedMbps: Number(speed) } : {}), hub: cls === '09',
    });
  }
  const ids = usbIdsFile(env);
  if (ids && devices.length) {
    const names = usbNames(await readFile(ids, 'latin1').catch(() => ''), new Set(devices.map((d) => d.id)));
    for (const d of devices) {
      const n = names.get(d.id);
      if (n?.vendor) d.vendorName = n.vendor;
      if (n?.product) d.productName = n.product;
    }
  }
  return devices;
}

/** A device by "vvvv:pppp" (the first of that kind) or "BUS-ADDR" / sysfs port ("1-4"). */
export function findUsb(devices: UsbDevice[], selector: string): UsbDevice {
  const s = selector.toLowerCase();
  const byId = /^[0-9a-f]{4}:[0-9a-f]{4}$/.test(s);
  const hit = byId ? devices.find((d) => d.id === s) : devices.find((d) => d.port === s || `${d.bus}-${d.address}` === s || `${d.bus}.${d.address}` === s);
  if (hit) return hit;
  const seen = devices.filter((d) => !d.hub).map((d) => `${d.id} (${d.port})`).join(', ') || 'none';
  throw new NovaError('NOT_FOUND', `no USB device ${selector} on this host — plug it in, or pick one of \`nova usb ls\`: ${seen}`, { field: 'device', device: selector });
}

/**
 * A passed-through device, held by its physical port: QEMU's usb-host matches hostbus + hostport
 * (the port survives a replug, the address does not; the device may also come later).
 */
export interface HeldUsb {
  id: string;
  bus: number;
  address: number;
  port: string;
  qdevId: string;
}

export const usbKey = (d: { port: string }) => d.port;
export const usbQdevId = (d: { port: string }) => `usb-${d.port}`;
/** QEMU's hostport: the sysfs port without its bus ("1-1.2" → "1.2"). */
export const hostPort = (port: string) => port.slice(port.indexOf('-') + 1);
/** sysfs port → the running VM that holds it. */
export async function usbHolders(ctx: VmContext): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rec of await listRecords(ctx.paths)) {
    const st = await processState(ctx.paths, rec);
    if (st.state === 'stopped' || st.state === 'crashed') continue;
    for (const u of (await readRuntime(ctx.paths, rec.name))?.usb ?? []) out.set(usbKey(u), rec.name);
  }
  return out;
}

export function refuseHeld(held: Map<string, string>, d: UsbDevice, name: string, field: string): void {
  const by = held.get(usbKey(d));
  if (by && by !== name) throw new NovaError('CONFLICT', `USB device ${d.id} (${d.port}) is attached to VM ${by}: detach it there first (\`nova vm usb detach ${by} ${d.port}\`)`, { field, vm: by });
}

/** NovaFile `usb = [...]` at start: each present, held by no other VM (else a clear error). */
export async function resolveDeclaredUsb(ctx: VmContext, name: string, ids: string[]): Promise<HeldUsb[]> {
  if (!ids.length) return [];
  const [devices, held] = await Promise.all([listUsb(), usbHolders(ctx)]);
  return ids.map((id, i) => {
    let d: UsbDevice;
    try {
      d = findUsb(devices, id);
    } catch (e) {
      throw new NovaError('NOT_FOUND', `usb.${i}: ${(e as Error).message}; or remove it from usb`, { field: `usb.${i}` });
    }
    refuseHeld(held, d, name, `usb.${i}`);
    return { id: d.id, bus: d.bus, address: d.address, port: d.port, qdevId: usbQdevId(d) };
  });
}
