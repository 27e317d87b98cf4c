// A sysfs USB tree and a usb.ids excerpt for tests (this CI host has no USB bus at all): a root
// hub, a hub on port 1-1, a Logitech receiver behind it (1-1.2, with an interface folder), a
// SanDisk stick on 2-3 and a device whose vendor usb.ids does not know (2-4).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DEVICES: Record<string, Record<string, string>> = {
  usb1: { idVendor: '1d6b', idProduct: '0002', busnum: '1', devnum: '1', bDeviceClass: '09', product: 'xHCI Host Controller' },
  '1-1': { idVendor: '05e3', idProduct: '0610', busnum: '1', devnum: '2', bDeviceClass: '09', speed: '480' },
  '1-1.2': { idVendor: '046d', idProduct: 'c52b', busnum: '1', devnum: '4', bDeviceClass: '00', speed: '12', manufacturer: 'Logitech', product: 'USB Receiver' },
  '1-1.2:1.0': { bInterfaceClass: '03' },
  '2-3': { idVendor: '0781', idProduct: '5583', busnum: '2', devnum: '2', bDeviceClass: '00', speed: '5000', manufacturer: ' SanDisk', product: 'Ultra Fit' },
  '2-4': { idVendor: 'f00d', idProduct: '0001', busnum: '2', devnum: '3', bDeviceClass: 'ff', product: 'Lab Gadget' },
};

export const USB_IDS = `# usb.ids excerpt
05e3  Genesys Logic, Inc.
\t0610  Hub
046d  Logitech, Inc.
\tc52a  Other Receiver
\tc52b  Unifying Receiver
\t\t0001  an interface line
0781  SanDisk Corp.
\t5583  Ultra Fit
1d6b  Linux Foundation
\t0002  2.0 root hub
C 00  (Defined at Interface level)
\t01  Audio
`;

/** Writes the tree under dir/devices and the names to dir/usb.ids; returns the env pointing at them. */
export function usbFixture(dir: string): { NOVA_USB_SYSFS: string; NOVA_USB_IDS: string } {
  for (const [name, files] of Object.entries(DEVICES)) {
    mkdirSync(join(dir, 'devices', name), { recursive: true });
    for (const [f, v] of Object.entries(files)) writeFileSync(join(dir, 'devices', name, f), `${v}\n`);
  }
  writeFileSync(join(dir, 'usb.ids'), USB_IDS);
  return { NOVA_USB_SYSFS: join(dir, 'devices'), NOVA_USB_IDS: join(dir, 'usb.ids') };
}
