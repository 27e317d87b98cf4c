import type { GpuActionResult } from '../../shared/contract/gpu.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import { withReverter } from '../sys/reverter.js';
import { bindUnit, OriginalDrivers, planUnit, reattachUnit, resetUnit, unbindUnit } from './actions.js';
import type { Action, PlanOptions } from './actions.js';
import { scanPci } from './scanner.js';
import { vfioHandover } from './vfio-nodes.js';
import type { StepContext } from './vfio-steps.js';
import { sysfsWriterFor } from './writer.js';
import type { SysfsWriter } from './writer.js';

// The privileged steps of the GPU area (writes to /sys/bus/pci, the owner of /dev/vfio/N) behind
// one interface: done by this process when it holds the rights (root on a server or CI, and
// `nova privd` itself), by `nova privd` for a desktop user (src/core/privilege/helper-devices.ts).

export type Moved = GpuActionResult['devices'];

export interface DeviceActOptions extends PlanOptions {
  timeoutMs?: number;
  /** `nova privd`: after a bind, /dev/vfio/N belongs to this caller for the VM's life. */
  handTo?: { uid: number; gid: number };
}

export interface DeviceOps {
  readonly via: 'direct' | 'helper';
  /** One unit: the GPU at (or owning) `address`, its companions and, when asked, its group. */
  act(action: Action, address: string, opts?: DeviceActOptions): Promise<Moved>;
  /** The VM let go but the devices stay on vfio-pci: /dev/vfio/N is root's again. */
  release(address: string): Promise<void>;
}

export interface DirectDeviceOptions {
  /** `/sys`, or a fixture tree (tests; for `nova privd` fixed at its start, never from a caller). */
  root: string;
  paths: NovaPaths;
  /** Default: real sysfs writes (or what a test entry point injected, writer.ts). */
  writer?: SysfsWriter;
  writeTimeoutMs?: number;
  linkTimeoutMs?: number;
  /** Set by `nova privd` only: where the group nodes it hands to callers live (/dev/vfio). */
  vfioDir?: string;
}

export function directDeviceOps(o: DirectDeviceOptions): DeviceOps {
  const writer = o.writer ?? sysfsWriterFor(o.root);
  const memo = OriginalDrivers.in(o.paths.data);
  const context = (action: Action | 'release', address: string, opts: DeviceActOptions): StepContext => {
    const linkTimeoutMs = opts.timeoutMs ?? o.linkTimeoutMs ?? 10_000;
    return {
      root: o.root,
      writer,
      writeTimeoutMs: opts.timeoutMs ?? o.writeTimeoutMs ?? 10_000,
      linkTimeoutMs,
      command: `nova gpu ${action} ${address}`,
      ...(o.vfioDir && opts.handTo ? { vfio: vfioHandover(o.vfioDir, opts.handTo, linkTimeoutMs) } : {}),
    };
  };
  /** Under the unit's lock (shared with every other face on this host), on a fresh scan. */
  const locked = async <T>(action: Action | 'release', address: string, opts: DeviceActOptions, fn: (ctx: StepContext, scan: Awaited<ReturnType<typeof scanPci>>) => Promise<T>) => {
    const gpu = planUnit(await scanPci(o.root), address, 'unbind').gpu;
    const ctx = context(action, address, opts);
    return withLock(lockPath(o.paths, 'gpu', gpu.replace(/:/g, '-')), async () => fn(ctx, await scanPci(o.root)), { holder: ctx.command, timeoutMs: 15_000 });
  };
  return {
    via: 'direct',
    act: (action, address, opts = {}) =>
      locked(action, address, opts, async (ctx, scan) => {
        const unit = planUnit(scan, address, action, opts);
        switch (action) {
          case 'bind':
            return bindUnit(ctx, unit, memo);
          case 'unbind':
            return unbindUnit(ctx, unit, memo);
          case 'reattach':
            return reattachUnit(ctx, unit, memo);
          case 'reset':
            return resetUnit(ctx, unit, scan, Boolean(opts.force));
        }
      }),
    async release(address) {
      if (!o.vfioDir) return; // this process never handed the node to anyone
      const vfioDir = o.vfioDir;
      await locked('release', address, {}, async (ctx, scan) => {
        const unit = planUnit(scan, address, 'unbind');
        if (unit.group === undefined) return;
        const group = unit.group;
        await withReverter((r) => vfioHandover(vfioDir, { uid: 0, gid: 0 }, ctx.linkTimeoutMs).giveBack(r, group));
      });
    },
  };
}
