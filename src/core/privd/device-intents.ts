import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import { crashPoint } from '../sys/crash-point.js';
import type { OriginalDrivers } from '../gpu/actions.js';
import { setOwner } from '../gpu/vfio-nodes.js';
import { deviceState, restoreDevice } from '../gpu/vfio-steps.js';
import type { DeviceState, StepContext } from '../gpu/vfio-steps.js';
import type { Owners } from './owners.js';

// The helper's intent log for VFIO moves. A verb's Reverter lives in memory: a kill -9 of the
// helper in the middle of a bind leaves a group half on vfio-pci, a driver_override set, the
// group's /dev/vfio/N handed to a user and ownership records nobody will undo. So before the
// first change, the helper writes down where every part of the unit must end up if it dies
// (the state before, or for reattach/release the finished state: those give things back), and
// removes the record when the verb is over. At start it converges each record left behind.

export interface NodeOwner {
  uid: number;
  gid: number;
  mode: number;
}

export interface DeviceIntent {
  verb: string;
  address: string;
  uid: number;
  /** Driver and driver_override each device of the unit goes to. */
  devices: Record<string, DeviceState>;
  /** The IOMMU group's node (/dev/vfio/N) and the owner it goes to. */
  node?: { path: string } & NodeOwner;
  /** The helper's ownership records of those devices (null: no record). */
  owners: Record<string, number | null>;
  /** The original-driver memo of those devices (null: no entry). */
  memo: Record<string, DeviceState | null>;
}

export interface DeviceIntentDeps {
  dir: string;
  owners: Owners;
  memo: OriginalDrivers;
  /** Step context for the convergence writes (sysfs root and writer fixed at the helper's start). */
  ctx: StepContext;
}

/** What is there now: the unit's devices, its group node, the records. */
export async function snapshotUnit(deps: DeviceIntentDeps, devices: string[], nodePath: string | undefined) {
  const state: Record<string, DeviceState> = {};
  for (const a of devices) state[a] = await deviceState(deps.ctx.root, a);
  const book = (await deps.owners.read()).device;
  const memo = await deps.memo.all();
  const st = nodePath ? await lstat(nodePath).catch(() => undefined) : undefined;
  return {
    devices: state,
    ...(st && nodePath ? { node: { path: nodePath, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 } } : {}),
    owners: Object.fromEntries(devices.map((a) => [a, book[a] ?? null])),
    memo: Object.fromEntries(devices.map((a) => [a, memo[a] ?? null])),
  };
}

const fileOf = (dir: string, address: string) => join(dir, `gpu-${address.replace(/[:.]/g, '-')}.json`);

/**
 * Writes `intent` before the first change; the returned `done()` removes it when the verb is over
 * (its own Reverter has undone a failure by then). A kill in between leaves the record for start.
 */
export async function recordIntent(deps: DeviceIntentDeps, intent: DeviceIntent): Promise<() => Promise<void>> {
  const file = fileOf(deps.dir, intent.address);
  await writeJsonAtomic(file, intent, { mode: 0o600 });
  return async () => {
    crashPoint(`${intent.verb} ${intent.address}: done, intent not yet cleared`);
    await rm(file, { force: true });
  };
}

/** At start: every record left by a killed helper is applied (devices, node, records), then removed. */
export async function convergeIntents(deps: DeviceIntentDeps, log: (line: string) => void): Promise<DeviceIntent[]> {
  const names = await readdir(deps.dir).catch(() => [] as string[]);
  const done: DeviceIntent[] = [];
  for (const name of names.filter((n) => n.startsWith('gpu-') && n.endsWith('.json')).sort()) {
    const file = join(deps.dir, name);
    const intent = await readJson<DeviceIntent | undefined>(file, undefined);
    if (intent) {
      // The node goes back to root before its devices leave vfio-pci, and to a user only after they are on it.
      const toRoot = intent.node?.uid === 0;
      if (intent.node && toRoot) await setNode(intent.node);
      for (const [a, target] of Object.entries(intent.devices)) await restoreDevice(deps.ctx, a, target);
      if (intent.node && !toRoot) await setNode(intent.node);
      for (const [a, uid] of Object.entries(intent.owners)) {
        if (uid === null) await deps.owners.drop('device', (k) => k === a);
        else await deps.owners.set('device', a, uid);
      }
      await deps.memo.restore(intent.memo);
      log(`privd: converged ${intent.verb} ${intent.address} for uid ${intent.uid} (interrupted): ${Object.entries(intent.devices).map(([a, s]) => `${a} → ${s.driver ?? 'no driver'}`).join(', ')}${intent.node ? `, ${intent.node.path} → uid ${intent.node.uid}` : ''}`);
      done.push(intent);
    }
    await rm(file, { force: true });
  }
  return done;
}

async function setNode(node: NonNullable<DeviceIntent['node']>): Promise<void> {
  const st = await lstat(node.path).catch(() => undefined);
  // Gone (the group left vfio-pci) or not a plain node: nothing to give back.
  if (!st || !(st.isCharacterDevice() || st.isFile())) return;
  if (st.uid !== node.uid || st.gid !== node.gid || (st.mode & 0o7777) !== node.mode) await setOwner(node.path, node.uid, node.gid, node.mode);
}
