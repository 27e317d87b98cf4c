import { z } from 'zod';
import { resourceName } from '../names.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// USB passthrough: the host's devices (sysfs) and attaching them to running VMs (QMP usb-host).

export const usbDevice = lazy(() => z.object({
  /** vendor:product, lowercase hex ("046d:c52b"). */
  id: z.string(),
  bus: z.number(),
  address: z.number(),
  /** The sysfs port path ("1-4", "2-1.3"). */
  port: z.string(),
  vendorName: z.string().optional(),
  productName: z.string().optional(),
  /** The device's own strings. */
  manufacturer: z.string().optional(),
  product: z.string().optional(),
  speedMbps: z.number().optional(),
  hub: z.boolean(),
  /** The running VM it is attached to. */
  vm: z.string().optional(),
}));
export type UsbDevice = z.infer<typeof usbDevice>;

/** "vvvv:pppp", or the bus-address / sysfs port ("1-4") of one device. */
const usbSelector = lazy(() => z.string().regex(/^([0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}|\d+[-.][\d.]+)$/, 'write a device as vendor:product ("046d:c52b") or its port ("1-4"), see `nova usb ls`'));

/** connected: QEMU has the device now (false: it waits for it on that port). */
export const usbAttachment = lazy(() => z.object({ name: z.string(), device: usbDevice, qdevId: z.string(), connected: z.boolean() }));

export const usbProcedures = {
  'usb.list': procedure({ summary: 'The host\'s USB devices (sysfs, names from usb.ids), and which VM holds each', input: lazy(() => z.object({}).strict().default({})), output: lazy(() => z.object({ items: z.array(usbDevice) })) }),
  'vm.usb.attach': procedure({
    summary: 'Pass a host USB device to a running VM (QMP device_add usb-host); CONFLICT when another VM holds it',
    input: lazy(() => z.object({ name: resourceName, device: usbSelector }).strict()),
    output: usbAttachment,
  }),
  'vm.usb.detach': procedure({
    summary: 'Give a passed-through USB device back to the host (QMP device_del)',
    input: lazy(() => z.object({ name: resourceName, device: usbSelector }).strict()),
    output: lazy(() => z.object({ name: z.string(), device: z.string(), detached: z.boolean() })),
  }),
};
