// USB passthrough to running VMs: QMP device_add usb-host (hostbus + hostaddr of the device
// sysfs lists) on the VM's xHCI controller, plugged onto a spare PCIe root port first when the VM
// has none (direct-kernel-boot VMs). A device one running VM holds is CONFLICT for every other;
// NovaFile `usb = ["vvvv:pppp"]` devices are attached at start (missing: a clear error).
import { NovaError } from '../../shared/errors.js';
import type { UsbDevice } from '../../shared/contract/usb.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import type { VmContext } from './context.js';
import { publish, vmLock } from './power.js';
import { freeHotplugPorts, queryPci } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import type { QmpProtocol } from './qmp/protocol.js';
import { deriveState } from './state.js';
import { layoutOf, loadRecord, readRuntime, writeRuntime } from './store.js';
import { findUsb, hostPort, listUsb, refuseHeld, usbHolders, usbKey as key, usbQdevId } from './usb.js';

/** One host-wide lock: two VMs never take the same device at once. */
const usbLock = <T>(ctx: VmContext, fn: () => Promise<T>) => withLock(lockPath(ctx.paths, 'usb', 'host'), fn, { timeoutMs: 60_000, holder: 'usb attach' });

export async function listHostUsb(ctx: VmContext): Promise<{ items: UsbDevice[] }> {
  const [devices, held] = await Promise.all([listUsb(), usbHolders(ctx)]);
  return { items: devices.map((d) => (held.has(key(d)) ? { ...d, vm: held.get(key(d))! } : d)) };
}

/** The VM's xHCI controller (xhci0), hot-plugged on a spare root port when it has none. */
async function ensureXhci(q: QmpProtocol): Promise<void> {
  if ((await queryPci(q)).some((d) => d.qdev_id === 'xhci0')) return;
  const [port] = await freeHotplugPorts(q);
  if (!port) throw new NovaError('CONFLICT', 'the VM has no USB controller and no spare PCIe root port to add one: declare the device in usb = [...] and restart the VM', { field: 'device' });
  await q.execute('device_add', { driver: 'qemu-xhci', id: 'xhci0', bus: port });
}

export async function attachUsb(ctx: VmContext, name: string, selector: string): Promise<{ name: string; device: UsbDevice; qdevId: string; connected: boolean }> {
  return vmLock(ctx, name, () => usbLock(ctx, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const st = await deriveState(ctx.paths, rec);
    if (st.state !== 'running' && st.state !== 'paused') throw new NovaError('CONFLICT', `VM ${name} is ${st.state}: USB devices attach to a running VM; declare it in usb = ["vvvv:pppp"] to have it at start`);
    const device = findUsb(await listUsb(), selector);
    if (device.hub) throw new NovaError('INVALID_INPUT', `USB device ${selector} is a hub: pass the devices behind it`, { field: 'device' });
    const held = await usbHolders(ctx);
    refuseHeld(held, device, name, 'device');
    const qdevId = usbQdevId(device);
    const rt = (await readRuntime(ctx.paths, name))!;
    if (held.get(key(device)) === name) return { name, device: { ...device, vm: name }, qdevId, connected: true };
    const connected = await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
      await ensureXhci(q);
      await q.execute('device_add', { driver: 'usb-host', id: qdevId, bus: 'xhci0.0', hostbus: device.bus, hostport: hostPort(device.port) });
      return q.execute<boolean>('qom-get', { path: `/machine/peripheral/${qdevId}`, property: 'attached' }).catch(() => false);
    });
    await writeRuntime(ctx.paths, name, { ...rt, usb: [...(rt.usb ?? []), { id: device.id, bus: device.bus, address: device.address, port: device.port, qdevId }] });
    publish(ctx, name, st.state, `USB ${device.id} attached`);
    return { name, device: { ...device, vm: name }, qdevId, connected };
  }), 'usb attach');
}

export async function detachUsb(ctx: VmContext, name: string, selector: string): Promise<{ name: string; device: string; detached: boolean }> {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const st = await deriveState(ctx.paths, rec);
    const rt = st.state === 'running' || st.state === 'paused' ? await readRuntime(ctx.paths, name) : undefined;
    const s = selector.toLowerCase();
    const u = rt?.usb?.find((x) => x.id === s || x.port === s || `${x.bus}-${x.address}` === s);
    if (!rt || !u) throw new NovaError('NOT_FOUND', `VM ${name} holds no USB device ${selector} (see \`nova usb ls\`)`, { field: 'device' });
    await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
      await q.execute('device_del', { id: u.qdevId });
      // USB unplugs at once; wait until QEMU no longer lists it.
      const deadline = Date.now() + 10_000;
      while ((await q.execute<{ name: string }[]>('qom-list', { path: '/machine/peripheral' })).some((p) => p.name === u.qdevId)) {
        if (Date.now() > deadline) throw new NovaError('TIMEOUT', `QEMU still has ${u.qdevId} 10 s after device_del`);
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await writeRuntime(ctx.paths, name, { ...rt, usb: rt.usb!.filter((x) => x !== u) });
    publish(ctx, name, st.state, `USB ${u.id} detached`);
    return { name, device: u.id, detached: true };
  }, 'usb detach');
}

