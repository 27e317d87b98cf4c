import type { GpuInfo } from '../../shared/contract/gpu.js';
import { CLASS_NAMES, isBridgeClass, isGpuClass, lookupModel, VENDORS } from './ids.js';
import type { PciIds } from './pciids.js';
import type { PciDevice, PciScan } from './scanner.js';

// Turns raw PCI devices into the GPU inventory: names, generations, companions and group members.
// Diagnostics are added separately (diagnostics.ts) so the VM path can re-run them with its memory.

export type GpuInventoryEntry = Omit<GpuInfo, 'status' | 'checks'> & { rank: number; resetQuirk?: string; datacenter: boolean };

export const slotOf = (address: string) => address.slice(0, -2);

export function className(classCode: string): string {
  return CLASS_NAMES[classCode.slice(0, 4)] ?? `Class ${classCode.slice(0, 4)}`;
}

export function vendorName(vendorId: string, ids?: PciIds): string {
  return VENDORS[vendorId]?.name ?? ids?.vendor(vendorId) ?? `Vendor ${vendorId}`;
}

/** A short human name for any PCI device: curated model, else pci.ids, else the ids. */
export function deviceName(d: PciDevice, ids?: PciIds): string {
  const brand = VENDORS[d.vendorId]?.brand ?? ids?.vendor(d.vendorId)?.split(/[ ,]/)[0] ?? d.vendorId;
  const model = lookupModel(d.vendorId, d.deviceId, d.revision).name;
  if (model) return `${brand} ${model}`;
  const fromIds = ids?.device(d.vendorId, d.deviceId);
  if (fromIds) return fromIds.toLowerCase().startsWith(brand.toLowerCase()) ? fromIds : `${brand} ${fromIds}`;
  return `${brand} ${className(d.classCode)} [${d.vendorId}:${d.deviceId}]`;
}

function companionKind(classCode: string): GpuInfo['companions'][number]['kind'] {
  if (classCode.startsWith('0403')) return 'audio';
  if (classCode.startsWith('0c03')) return 'usb';
  if (classCode.startsWith('0c80')) return 'usb-c';
  return 'other';
}

export function buildInventory(scan: PciScan, ids?: PciIds): GpuInventoryEntry[] {
  const all = [...scan.devices.values()];
  return all
    .filter((d) => isGpuClass(d.classCode))
    .map((d): GpuInventoryEntry => {
      const model = lookupModel(d.vendorId, d.deviceId, d.revision);
      const vendor = VENDORS[d.vendorId];
      const gen = model.generation;
      const sameSlot = all.filter((o) => o.address !== d.address && slotOf(o.address) === slotOf(d.address) && !isGpuClass(o.classCode) && !isBridgeClass(o.classCode));
      const companions = sameSlot.map((o) => ({
        address: o.address,
        kind: companionKind(o.classCode),
        name: deviceName(o, ids),
        ...(o.driver ? { driver: o.driver } : {}),
      }));
      const companionSet = new Set(companions.map((c) => c.address));
      const groupAddrs = d.iommuGroup !== undefined ? (scan.host.iommu.groups.get(d.iommuGroup) ?? [d.address]) : [];
      const groupMembers = groupAddrs
        .filter((a) => a !== d.address)
        .map((a) => {
          const o = scan.devices.get(a);
          const cls = o?.classCode ?? '000000';
          return {
            address: a,
            classCode: cls,
            className: className(cls),
            name: o ? deviceName(o, ids) : a,
            ...(o?.driver ? { driver: o.driver } : {}),
            bridge: isBridgeClass(cls),
            companion: companionSet.has(a) || (o !== undefined && slotOf(a) === slotOf(d.address)),
          };
        });
      // Bus 00 display functions are on the CPU/chipset die: integrated, whatever the vendor.
      const integrated = gen?.integrated ?? d.address.slice(5, 7) === '00';
      return {
        address: d.address,
        name: deviceName(d, ids),
        vendor: { id: d.vendorId, name: vendorName(d.vendorId, ids), kind: vendor?.kind ?? 'other' },
        device: { id: d.deviceId, ...(model.chip ? { chip: model.chip } : {}) },
        subsystem: {
          vendorId: d.subVendorId,
          deviceId: d.subDeviceId,
          ...(VENDORS[d.subVendorId] || ids?.vendor(d.subVendorId) ? { vendorName: vendorName(d.subVendorId, ids) } : {}),
        },
        classCode: d.classCode,
        className: className(d.classCode),
        generation: gen?.label ?? 'unknown',
        integrated,
        ...(d.driver ? { driver: d.driver } : {}),
        ...(d.driverOverride ? { driverOverride: d.driverOverride } : {}),
        ...(d.iommuGroup !== undefined ? { iommuGroup: d.iommuGroup } : {}),
        groupMembers,
        companions,
        resetMethods: d.resetMethods,
        ...(d.powerState ? { powerState: d.powerState } : {}),
        ...(d.d3coldAllowed !== undefined ? { d3coldAllowed: d.d3coldAllowed } : {}),
        bootVga: d.bootVga ?? false,
        rebar: d.rebar,
        ...(d.sriov ? { sriov: d.sriov } : {}),
        ...(d.physfn ? { physfn: d.physfn } : {}),
        ...(d.link ? { link: d.link } : {}),
        ...(d.numaNode !== undefined ? { numaNode: d.numaNode } : {}),
        displayHolders: scan.host.holders.get(d.address) ?? [],
        rank: (gen?.rank ?? 30) - (integrated ? 50 : 0),
        ...(gen && 'resetQuirk' in gen && gen.resetQuirk ? { resetQuirk: gen.resetQuirk } : {}),
        datacenter: Boolean(gen && 'datacenter' in gen && gen.datacenter),
      };
    });
}
