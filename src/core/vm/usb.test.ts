import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usbFixture } from './__fixtures__/usb.js';
import { findUsb, listUsb } from './usb.js';

describe('host USB devices from sysfs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-usb-'));
  const env = usbFixture(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists devices (no root hubs, no interfaces) with usb.ids names, their own strings and speed', async () => {
    expect(await listUsb(env)).toEqual([
      { id: '05e3:0610', bus: 1, address: 2, port: '1-1', speedMbps: 480, hub: true, vendorName: 'Genesys Logic, Inc.', productName: 'Hub' },
      { id: '046d:c52b', bus: 1, address: 4, port: '1-1.2', manufacturer: 'Logitech', product: 'USB Receiver', speedMbps: 12, hub: false, vendorName: 'Logitech, Inc.', productName: 'Unifying Receiver' },
      { id: '0781:5583', bus: 2, address: 2, port: '2-3', manufacturer: 'SanDisk', product: 'Ultra Fit', speedMbps: 5000, hub: false, vendorName: 'SanDisk Corp.', productName: 'Ultra Fit' },
      { id: 'f00d:0001', bus: 2, address: 3, port: '2-4', product: 'Lab Gadget', hub: false },
    ]);
  });

  it('finds a device by vendor:product, port or bus-address; a missing one names what is there', async () => {
    const all = await listUsb(env);
    expect(findUsb(all, '046D:C52B').port).toBe('1-1.2');
    expect(findUsb(all, '2-3').id).toBe('0781:5583');
    expect(findUsb(all, '2-3').id).toBe(findUsb(all, '2-2').id);
    expect(() => findUsb(all, '1234:5678')).toThrow(/^no USB device 1234:5678 on this host — plug it in, or pick one of `nova usb ls`: 046d:c52b \(1-1\.2\), 0781:5583 \(2-3\), f00d:0001 \(2-4\)$/);
  });

  it('a host without a USB bus lists nothing', async () => {
    expect(await listUsb({ NOVA_USB_SYSFS: join(dir, 'absent') })).toEqual([]);
  });
});
