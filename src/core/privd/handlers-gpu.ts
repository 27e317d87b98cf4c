import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { planUnit } from '../gpu/actions.js';
import type { Action, PlanOptions } from '../gpu/actions.js';
import { GpuClaims } from '../gpu/claims.js';
import { directDeviceOps } from '../gpu/device-ops.js';
import type { DeviceOps } from '../gpu/device-ops.js';
import { scanPci } from '../gpu/scanner.js';
import { VFIO_DIR } from '../gpu/vfio-nodes.js';
import { withReverter } from '../sys/reverter.js';
import type { Reverter } from '../sys/reverter.js';
import type { VerbHandlers } from './handlers.js';
import type { Owners } from './owners.js';
import type { Peer } from './peer.js';
import type { GpuVerb } from './verbs-gpu.js';

// What the device verbs do for their caller: ownership first (checked over the whole IOMMU group,
// because /dev/vfio/N is per group; recorded before the host changes), then the same DeviceOps a
// root engine uses, with /dev/vfio/N handed to the caller after a bind and taken back before the
// devices leave vfio-pci.

export interface PrivdDevices {
  root: string;
  vfioDir: string;
  ops: DeviceOps;
  /** GPUs root's own engine bound for its VMs (same state folder): no user's to take. */
  rootClaims: GpuClaims;
}

/**
 * Fixed when the helper starts, never from a caller: sysfs is the engine's (NOVA_SYSFS_ROOT, a
 * fixture tree in tests, else /sys), the group nodes are under NOVA_VFIO_DIR (tests) or /dev/vfio.
 */
export function privdDevices(engine: EngineContext, env: NodeJS.ProcessEnv): PrivdDevices {
  const vfioDir = env.NOVA_VFIO_DIR || VFIO_DIR;
  return { root: engine.sysfsRoot, vfioDir, ops: directDeviceOps({ root: engine.sysfsRoot, paths: engine.paths, vfioDir }), rootClaims: GpuClaims.in(engine.paths.data) };
}

const HOST_FREE = new Set([undefined, 'vfio-pci', 'pci-stub']);

export function gpuVerbHandlers(dev: PrivdDevices, owners: Owners): Pick<VerbHandlers, GpuVerb> {
  /** The unit at `address` and every member of its IOMMU group. */
  const scope = async (address: string, action: Action, opts: PlanOptions = {}) => {
    const scan = await scanPci(dev.root);
    const unit = planUnit(scan, address, action, opts);
    const members = unit.group !== undefined ? (scan.host.iommu.groups.get(unit.group) ?? []) : [];
    return { unit, group: [...new Set([...unit.devices, ...members])] };
  };

  /** bind / unbind take a unit whose group nobody else holds; the records go first (undone on failure). */
  const claim = async (r: Reverter, address: string, action: Action, opts: PlanOptions, peer: Peer) => {
    const { unit, group } = await scope(address, action, opts);
    const book = (await owners.read()).device;
    const rootVms = await dev.rootClaims.byDevice().catch(() => new Map<string, string>());
    for (const a of peer.uid === 0 ? [] : group) {
      const held = book[a];
      if (held !== undefined && held !== peer.uid) {
        throw new NovaError('PERMISSION', `PCI device ${a} (IOMMU group ${unit.group}) is held by uid ${held}: only that user (or root) may move it or its group. Nothing was changed.`, { address: a, owner: held, fix: 'pick another GPU, or ask that user to give it back (`nova gpu reattach`)' });
      }
      if (held === undefined && rootVms.has(a)) {
        throw new NovaError('PERMISSION', `PCI device ${a} is bound for root's VM ${rootVms.get(a)}. Nothing was changed.`, { address: a, owner: 0, fix: 'pick another GPU' });
      }
    }
    for (const a of unit.devices.filter((d) => book[d] !== peer.uid)) {
      const before = book[a];
      r.add(() => (before === undefined ? owners.drop('device', (k) => k === a) : owners.set('device', a, before)), `ownership of ${a}`);
      await owners.set('device', a, peer.uid);
    }
    return unit;
  };

  /** reattach / reset / release: only for the caller's own devices (unrecorded ones are root's). */
  const mine = async (address: string, action: Action, peer: Peer) => {
    const { unit } = await scope(address, action);
    for (const a of unit.devices) await owners.require('device', a, peer.uid, `PCI device ${a}`);
    return unit;
  };
  const timeout = (i: { timeoutMs?: number | undefined }) => (i.timeoutMs ? { timeoutMs: i.timeoutMs } : {});
  const to = (peer: Peer) => ({ handTo: { uid: peer.uid, gid: peer.gid } });

  return {
    'gpu.bind': (i, peer) =>
      withReverter(async (r) => {
        const opts = { includeGroup: i.includeGroup, force: i.force };
        const unit = await claim(r, i.address, 'bind', opts, peer);
        return { devices: await dev.ops.act('bind', i.address, { ...opts, ...timeout(i), ...to(peer) }), group: unit.group };
      }),
    'gpu.unbind': (i, peer) =>
      withReverter(async (r) => {
        const unit = await claim(r, i.address, 'unbind', {}, peer);
        return { devices: await dev.ops.act('unbind', i.address, { ...timeout(i), ...to(peer) }), group: unit.group };
      }),
    'gpu.reattach': async (i, peer) => {
      const unit = await mine(i.address, 'reattach', peer);
      const devices = await dev.ops.act('reattach', i.address, { ...timeout(i), ...to(peer) });
      await owners.drop('device', (k) => unit.devices.includes(k));
      return { devices, group: unit.group };
    },
    'gpu.reset': async (i, peer) => {
      const unit = await mine(i.address, 'reset', peer);
      return { devices: await dev.ops.act('reset', i.address, { force: i.force, ...to(peer) }), group: unit.group };
    },
    'gpu.release': async (i, peer) => {
      const unit = await mine(i.address, 'unbind', peer);
      await dev.ops.release(i.address);
      await owners.drop('device', (k) => unit.devices.includes(k));
      return { devices: [], group: unit.group };
    },
  };
}

/** At start: records of devices that are gone or back on a host driver are dropped. */
export async function pruneDeviceOwners(dev: PrivdDevices, owners: Owners): Promise<void> {
  const scan = await scanPci(dev.root).catch(() => undefined);
  if (!scan) return;
  await owners.drop('device', (a) => {
    const d = scan.devices.get(a);
    return !d || !HOST_FREE.has(d.driver);
  });
}
