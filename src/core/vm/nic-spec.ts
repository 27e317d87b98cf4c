// The NICs a VM's definition declares: `nics = [...]` (each its own MAC, model and TAP), or the
// single NIC of network/mac/ports. The first is the main NIC (net0/nic0); NICs that
// `vm.nic.attach` adds later are not declared (they live in the record's `nics`).
import { createHash } from 'node:crypto';
import { parsePortForward } from '../../shared/schemas/fields.js';
import type { PortForward } from '../../shared/schemas/fields.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import type { VmRecord } from './store.js';

export type NicModelName = NonNullable<NonNullable<VmSpec['nics']>[number]['model']>;

export interface DeclaredNic {
  /** A switch name, or "user" for QEMU's user-mode NAT. */
  network: string;
  mac: string;
  /** QEMU device (virtio-net-pci, e1000e, …). */
  device: string;
  ports: string[];
}

const DEVICES: Record<NicModelName, string> = { virtio: 'virtio-net-pci', e1000e: 'e1000e', e1000: 'e1000', rtl8139: 'rtl8139' };

/** Windows has no virtio-net driver until virtio-win is installed: e1000e works out of the box. */
export const nicDevice = (model: NicModelName | undefined, windows: boolean): string => DEVICES[model ?? (windows ? 'e1000e' : 'virtio')];

/** A stable MAC per VM and NIC index (QEMU's 52:54:00 prefix), so a guest keeps its NIC names and leases. */
export function nicMac(uuid: string, index: number): string {
  const h = createHash('sha256').update(`${uuid}/nic${index}`).digest();
  return ['52', '54', '00', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function declaredNics(rec: Pick<VmRecord, 'spec' | 'mac' | 'uuid'>, windows: boolean): DeclaredNic[] {
  const s = rec.spec;
  if (s.nics) {
    return s.nics.map((n, i) => ({ network: n.network, mac: (n.mac ?? (i === 0 ? rec.mac : nicMac(rec.uuid, i))).toLowerCase(), device: nicDevice(n.model, windows), ports: n.ports }));
  }
  if (s.network === 'none') return [];
  return [{ network: s.network ?? 'user', mac: rec.mac, device: nicDevice(undefined, windows), ports: s.ports }];
}

/** The switches (not "user") the definition puts the VM on. */
export const declaredSwitches = (spec: VmSpec): string[] =>
  (spec.nics ? spec.nics.map((n) => n.network) : spec.network ? [spec.network] : []).filter((n) => n !== 'user' && n !== 'none');

export const forwards = (n: DeclaredNic): PortForward[] => n.ports.map(parsePortForward);
