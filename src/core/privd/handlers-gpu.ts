import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { OriginalDrivers, planUnit } from '../gpu/actions.js';
import type { Action, PlanOptions, Unit } from '../gpu/actions.js';
import { GpuClaims } from '../gpu/claims.js';
import { directDeviceOps } from '../gpu/device-ops.js';
import type { DeviceOps } from '../gpu/device-ops.js';
import { scanPci } from '../gpu/scanner.js';
import { VFIO_DIR } from '../gpu/vfio-nodes.js';
import { sysfsWriterFor } from '../gpu/writer.js';
import { sweepStaleTemps } from '../sys/atomic.js';
import { withReverter } from '../sys/reverter.js';
import type { Reverter } from '../sys/reverter.js';
import type { VerbHandlers } from './handlers.js';
import { convergeIntents, recordIntent, snapshotUnit } from './device-intents.js';
import type { DeviceIntent, DeviceIntentDeps } from './device-intents.js';
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
  /** The original-driver memo the device ops keep (same file). */
  memo: OriginalDrivers;
  /** The intent log of device verbs in progress (device-intents.ts). */
  intentsDir: string;
  /** The helper's state folder (records, memo, intents). */
  data: string;
}

/**
 * Fixed when the helper starts, never from a caller: sysfs is the engine's (NOVA_SYSFS_ROOT, a
 * fixture tree in tests, else /sys), the group nodes are under NOVA_VFIO_DIR (tests) or /dev/vfio.
 */
export function privdDevices(engine: EngineContext, env: NodeJS.ProcessEnv): PrivdDevices {
  const vfioDir = env.NOVA_VFIO_DIR || VFIO_DIR;
  return {
    root: engine.sysfsRoot,
    vfioDir,
    ops: directDeviceOps({ root: engine.sysfsRoot, paths: engine.paths, vfioDir }),
    rootClaims: GpuClaims.in(engine.paths.data),
    memo: OriginalDrivers.in(engine.paths.data),
    intentsDir: join(engine.paths.data, 'privd', 'intents'),
    data: engine.paths.data,
  };
}

function intentDeps(dev: PrivdDevices, owners: Owners, command: string): DeviceIntentDeps {
  const ctx = { root: dev.root, writer: sysfsWriterFor(dev.root), writeTimeoutMs: 10_000, linkTimeoutMs: 10_000, command };
  return { dir: dev.intentsDir, owners, memo: dev.memo, ctx };
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

  const deps = intentDeps(dev, owners, 'nova privd');
  /**
   * Before the first change, where the unit goes if the helper dies mid-verb: back to how it is
   * now, or for reattach/release (they give things back) to the finished state.
   */
  const intend = async (verb: GpuVerb, unit: Unit, peer: Peer, forward?: 'reattach' | 'release') => {
    const now = await snapshotUnit(deps, unit.devices, unit.group !== undefined ? join(dev.vfioDir, String(unit.group)) : undefined);
    let target = now;
    if (forward) {
      const given = { ...(now.node ? { node: { ...now.node, uid: 0, gid: 0, mode: 0o600 } } : {}), owners: Object.fromEntries(unit.devices.map((a) => [a, null])) };
      const memo = Object.entries(now.memo);
      if (forward === 'release') target = { ...now, ...given };
      // Reattach completes only where the original drivers are known; otherwise it rolls back.
      else if (memo.every(([, m]) => m?.driver)) target = { ...given, devices: Object.fromEntries(memo.map(([a, m]) => [a, { driver: m!.driver!, ...(m!.override ? { override: m!.override } : {}) }])), memo: Object.fromEntries(memo.map(([a]) => [a, null])) };
    }
    const intent: DeviceIntent = { verb, address: unit.gpu, uid: peer.uid, ...target };
    return recordIntent(deps, intent);
  };
  const logged = async <T>(done: Promise<() => Promise<void>>, fn: () => Promise<T>): Promise<T> => {
    const clear = await done;
    try {
      return await fn();
    } finally {
      await clear();
    }
  };

  /** bind / unbind take a unit whose group nobody else holds; the records go first (undone on failure). */
  const claim = async (address: string, action: Action, opts: PlanOptions, peer: Peer) => {
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
    return unit;
  };
  const own = async (r: Reverter, unit: Unit, peer: Peer) => {
    const book = (await owners.read()).device;
    for (const a of unit.devices.filter((d) => book[d] !== peer.uid)) {
      const before = book[a];
      r.add(() => (before === undefined ? owners.drop('device', (k) => k === a) : owners.set('device', a, before)), `ownership of ${a}`);
      await owners.set('device', a, peer.uid);
    }
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
    'gpu.bind': async (i, peer) => {
      const opts = { includeGroup: i.includeGroup, force: i.force };
      const unit = await claim(i.address, 'bind', opts, peer);
      return logged(intend('gpu.bind', unit, peer), () =>
        withReverter(async (r) => {
          await own(r, unit, peer);
          return { devices: await dev.ops.act('bind', i.address, { ...opts, ...timeout(i), ...to(peer) }), group: unit.group };
        }),
      );
    },
    'gpu.unbind': async (i, peer) => {
      const unit = await claim(i.address, 'unbind', {}, peer);
      return logged(intend('gpu.unbind', unit, peer), () =>
        withReverter(async (r) => {
          await own(r, unit, peer);
          return { devices: await dev.ops.act('unbind', i.address, { ...timeout(i), ...to(peer) }), group: unit.group };
        }),
      );
    },
    'gpu.reattach': async (i, peer) => {
      const unit = await mine(i.address, 'reattach', peer);
      return logged(intend('gpu.reattach', unit, peer, 'reattach'), async () => {
        const devices = await dev.ops.act('reattach', i.address, { ...timeout(i), ...to(peer) });
        await owners.drop('device', (k) => unit.devices.includes(k));
        return { devices, group: unit.group };
      });
    },
    'gpu.reset': async (i, peer) => {
      const unit = await mine(i.address, 'reset', peer);
      return { devices: await dev.ops.act('reset', i.address, { force: i.force, ...to(peer) }), group: unit.group };
    },
    'gpu.release': async (i, peer) => {
      const unit = await mine(i.address, 'unbind', peer);
      return logged(intend('gpu.release', unit, peer, 'release'), async () => {
        await dev.ops.release(i.address);
        await owners.drop('device', (k) => unit.devices.includes(k));
        return { devices: [], group: unit.group };
      });
    },
  };
}

/** At start, before anything else about devices: what a killed helper left mid-verb is converged. */
export async function convergeDeviceIntents(dev: PrivdDevices, owners: Owners, log: (line: string) => void): Promise<void> {
  // Half-written state files (a kill between write and rename) of the intents, records and memo.
  for (const dir of [dev.intentsDir, join(dev.data, 'privd'), join(dev.data, 'gpu')]) await sweepStaleTemps(dir);
  await convergeIntents(intentDeps(dev, owners, 'nova privd (converging an interrupted device verb)'), log);
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
