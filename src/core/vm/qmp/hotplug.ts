// NIC hot-plug over QMP: a TAP backend (`netdev_add`) and a virtio-net (or e1000e) device on a
// spare PCIe root port (`device_add`); unplug is `device_del`, which only asks the guest to let
// go: the device is gone when QEMU says DEVICE_DELETED (the guest's pciehp takes ~5 s), then the
// backend goes with `netdev_del`.
import { NovaError } from '../../../shared/errors.js';
import type { QmpEvent, QmpProtocol } from './protocol.js';
import { QmpError } from './protocol.js';

/** Spare root ports every q35 VM gets for hot-plug: `hp0`…; ids the builder and this file share. */
export const HOTPLUG_PORT_PREFIX = 'hp';
export const hotplugPortId = (i: number) => `${HOTPLUG_PORT_PREFIX}${i}`;
/** Spare ports beyond those the cold-plugged extra NICs take. */
export const HOTPLUG_SPARE_PORTS = 4;
/** Device and backend ids of a NIC on a network (network names are [a-z0-9-], ids may hold them). */
export const nicIds = (network: string) => ({ device: `nic-${network}`, netdev: `net-${network}` });

export interface PciDevice {
  bus: number;
  slot: number;
  function: number;
  qdev_id: string;
  class_info?: { desc?: string; class: number };
  id?: { device: number; vendor: number };
  pci_bridge?: { bus: { number: number }; devices?: PciDevice[] };
}

/** Every PCI device QEMU has, bridges' children included (flattened). */
export async function queryPci(q: QmpProtocol): Promise<PciDevice[]> {
  const buses = await q.execute<{ bus: number; devices: PciDevice[] }[]>('query-pci');
  const out: PciDevice[] = [];
  const walk = (ds: PciDevice[]) => {
    for (const d of ds) {
      out.push(d);
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices);
    }
  };
  for (const b of buses) walk(b.devices);
  return out;
}

/** Spare hot-plug root ports (nothing behind them), in port order. */
export async function freeHotplugPorts(q: QmpProtocol): Promise<string[]> {
  const buses = await q.execute<{ bus: number; devices: PciDevice[] }[]>('query-pci');
  const ports: PciDevice[] = [];
  const walk = (ds: PciDevice[]) => {
    for (const d of ds) {
      if (d.qdev_id.startsWith(HOTPLUG_PORT_PREFIX) && /^hp\d+$/.test(d.qdev_id)) ports.push(d);
      if (d.pci_bridge?.devices) walk(d.pci_bridge.devices);
    }
  };
  for (const b of buses) walk(b.devices);
  return ports
    .filter((p) => !p.pci_bridge?.devices?.length)
    .map((p) => p.qdev_id)
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)));
}

export interface HotplugNic {
  network: string;
  ifname: string;
  mac: string;
  /** QEMU device (virtio-net-pci, e1000e, …). */
  model: string;
  /** vhost-net (KVM only, as on the command line). */
  vhost?: boolean;
  /** The switch's MTU when not 1500 (overlays): virtio-net's host_mtu. */
  mtu?: number;
}

export interface PluggedNic {
  device: string;
  netdev: string;
  port: string;
}

/**
 * Plugs a NIC into a running QEMU: the TAP by name (QEMU opens it; it must be the caller's TAP in
 * QEMU's netns), then the device on the first spare root port. A device_add that fails takes its
 * backend back out, so a failed plug leaves QEMU as it was.
 */
export async function plugNic(q: QmpProtocol, nic: HotplugNic): Promise<PluggedNic> {
  const ids = nicIds(nic.network);
  const present = await queryPci(q);
  if (present.some((d) => d.qdev_id === ids.device)) throw new NovaError('CONFLICT', `a NIC on network "${nic.network}" is already plugged in (device ${ids.device})`);
  const [port] = await freeHotplugPorts(q);
  if (!port) throw new NovaError('CONFLICT', 'no spare PCIe root port left for hot-plug: the NIC applies at the next start', { reason: 'no-slot' });
  await q.execute('netdev_add', { type: 'tap', id: ids.netdev, ifname: nic.ifname, script: 'no', downscript: 'no', ...(nic.vhost ? { vhost: true } : {}) });
  try {
    const mtu = nic.mtu && nic.mtu !== 1500 && nic.model === 'virtio-net-pci' ? { host_mtu: nic.mtu } : {};
    await q.execute('device_add', { driver: nic.model, id: ids.device, netdev: ids.netdev, mac: nic.mac, bus: port, ...mtu });
  } catch (e) {
    await q.execute('netdev_del', { id: ids.netdev }).catch(() => undefined);
    throw e;
  }
  return { device: ids.device, netdev: ids.netdev, port };
}

/**
 * Unplugs a NIC: device_del, then waits for DEVICE_DELETED (or the device missing from query-pci,
 * in case the event came before we listened), then removes the backend. TIMEOUT when the guest
 * never lets go (no hot-plug support in the guest): the device stays and the backend with it.
 */
export async function unplugNic(q: QmpProtocol, network: string, opts: { timeoutMs?: number; pollMs?: number } = {}): Promise<{ removed: boolean }> {
  const ids = nicIds(network);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let deleted = false;
  let wake: () => void = () => undefined;
  const onEvent = (e: QmpEvent) => {
    if (e.event === 'DEVICE_DELETED' && e.data?.device === ids.device) {
      deleted = true;
      wake();
    }
  };
  q.on('event', onEvent);
  try {
    const present = (await queryPci(q)).some((d) => d.qdev_id === ids.device);
    if (present) {
      try {
        await q.execute('device_del', { id: ids.device });
      } catch (e) {
        if (!(e instanceof QmpError)) throw e;
        if (e.errorClass === 'DeviceNotFound') deleted = true;
        // "already in the process of unplug": a second detach while the guest is letting go.
        else if (!/process of unplug|in progress|pending/i.test(e.message)) throw e;
      }
      const deadline = Date.now() + timeoutMs;
      const poll = opts.pollMs ?? 1000;
      while (!deleted) {
        if (Date.now() > deadline) throw new NovaError('TIMEOUT', `the guest did not release NIC ${ids.device} within ${Math.round(timeoutMs / 1000)} s (does it support PCIe hot-plug?)`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, poll);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        if (!deleted && !(await queryPci(q)).some((d) => d.qdev_id === ids.device)) deleted = true;
      }
    }
    await q.execute('netdev_del', { id: ids.netdev }).catch((e: unknown) => {
      if (!(e instanceof QmpError)) throw e; // no such backend: nothing to remove
    });
    return { removed: present };
  } finally {
    q.off('event', onEvent);
  }
}
