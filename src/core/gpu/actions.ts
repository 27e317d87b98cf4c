import { join } from 'node:path';
import type { GpuActionResult } from '../../shared/contract/gpu.js';
import { NovaError, toNovaError } from '../../shared/errors.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import { withReverter } from '../sys/reverter.js';
import type { Reverter } from '../sys/reverter.js';
import { isBridgeClass, isGpuClass } from './ids.js';
import { className, slotOf } from './inventory.js';
import type { PciScan } from './scanner.js';
import { deviceState, restoreDevice, steps, waitForDriver } from './vfio-steps.js';
import type { DeviceState, StepContext } from './vfio-steps.js';

// bind / unbind / reattach / reset of a GPU *unit*: the GPU, the other functions of its slot and,
// when asked, the rest of its IOMMU group. Each unit runs under one Reverter: a failure on any
// device puts every device of the unit back on its original driver.

export type Action = 'bind' | 'unbind' | 'reattach' | 'reset';

export interface Unit {
  gpu: string;
  /** GPU first, then companions and (with includeGroup) group members, bridges excluded. */
  devices: string[];
  group?: number;
}

export interface PlanOptions {
  includeGroup?: boolean;
  force?: boolean;
}

const VFIO_OK = new Set(['vfio-pci', 'pci-stub']);

/** Finds the unit an address belongs to and refuses what cannot work, before any write. */
export function planUnit(scan: PciScan, address: string, action: Action, opts: PlanOptions = {}): Unit {
  const dev = scan.devices.get(address);
  if (!dev) throw new NovaError('NOT_FOUND', `no PCI device ${address} on this host`, { address, fix: 'see `nova gpu list` for GPU addresses' });
  let gpu = dev;
  if (!isGpuClass(dev.classCode)) {
    const owner = [...scan.devices.values()].find((o) => isGpuClass(o.classCode) && slotOf(o.address) === slotOf(address));
    if (!owner) {
      throw new NovaError('INVALID_INPUT', `${address} is a ${className(dev.classCode)}, not a GPU: Nova moves GPUs and the functions that come with them`, {
        address,
        fix: 'pick a GPU address from `nova gpu list`',
      });
    }
    gpu = owner;
  }
  const slot = slotOf(gpu.address);
  const companions = [...scan.devices.values()].filter((o) => o.address !== gpu.address && slotOf(o.address) === slot && !isGpuClass(o.classCode) && !isBridgeClass(o.classCode));
  const members = gpu.iommuGroup !== undefined ? (scan.host.iommu.groups.get(gpu.iommuGroup) ?? []) : [];
  const others = members
    .map((a) => scan.devices.get(a))
    .filter((o): o is NonNullable<typeof o> => Boolean(o) && o!.address !== gpu.address && slotOf(o!.address) !== slot && !isBridgeClass(o!.classCode));
  const unit: Unit = { gpu: gpu.address, devices: [gpu.address, ...companions.map((c) => c.address)], ...(gpu.iommuGroup !== undefined ? { group: gpu.iommuGroup } : {}) };
  if (action !== 'bind') return unit;

  if (!scan.host.iommu.enabled || gpu.iommuGroup === undefined) {
    throw new NovaError('HOST_UNSUPPORTED', `the IOMMU is off: ${gpu.address} has no IOMMU group, so vfio-pci cannot take it`, {
      address: gpu.address,
      fix: 'enable VT-d/AMD-Vi in the firmware and add intel_iommu=on iommu=pt (or amd_iommu=on iommu=pt) to the kernel command line, then reboot (see `nova gpu info`)',
    });
  }
  const blockers = others.filter((o) => !(o.driver === undefined || VFIO_OK.has(o.driver)));
  if (blockers.length && !opts.includeGroup) {
    const list = blockers.map((o) => `${o.address} (${className(o.classCode)}${o.driver ? `, ${o.driver}` : ''})`).join(', ');
    throw new NovaError('CONFLICT', `IOMMU group ${gpu.iommuGroup} of ${gpu.address} is not viable: it also holds ${list}`, {
      address: gpu.address,
      members: blockers.map((o) => o.address),
      fix: `pass the whole group with --include-group (the host loses those devices), or move the card to a slot with its own group`,
    });
  }
  if (opts.includeGroup) unit.devices.push(...others.map((o) => o.address));
  const holders = (scan.host.holders.get(gpu.address) ?? []).filter((h) => h.node.includes('/card'));
  if (holders.length && !opts.force) {
    throw new NovaError('CONFLICT', `${gpu.address} drives the host display (${holders[0]!.comm}, pid ${holders[0]!.pid}, holds ${holders[0]!.node}): taking it would freeze the session`, {
      address: gpu.address,
      fix: 'use another GPU for the host display, or stop the desktop first and pass --force (single-GPU passthrough)',
    });
  }
  if (!scan.host.drivers.has('vfio-pci')) {
    throw new NovaError('HOST_UNSUPPORTED', 'the vfio-pci driver is not loaded', { fix: 'run `sudo modprobe vfio-pci` (package: kernel modules, always shipped by Debian and Arch kernels)' });
  }
  return unit;
}

/** Original drivers of devices Nova moved, so reattach works after a restart or from another face. */
export class OriginalDrivers {
  constructor(private file: string) {}
  static in(dataDir: string) {
    return new OriginalDrivers(join(dataDir, 'gpu', 'original-drivers.json'));
  }
  async all(): Promise<Record<string, DeviceState>> {
    return readJson<Record<string, DeviceState>>(this.file, {});
  }
  async remember(entries: Record<string, DeviceState>): Promise<void> {
    const cur = await this.all();
    for (const [a, s] of Object.entries(entries)) if (!cur[a] && s.driver !== 'vfio-pci') cur[a] = s;
    await writeJsonAtomic(this.file, cur);
  }
  /** Puts entries back as they were (null: no entry), for `nova privd` converging after a crash. */
  async restore(entries: Record<string, DeviceState | null>): Promise<void> {
    const cur = await this.all();
    for (const [a, s] of Object.entries(entries)) if (s) cur[a] = s;
    else delete cur[a];
    await writeJsonAtomic(this.file, cur);
  }
  async forget(addrs: string[]): Promise<void> {
    const cur = await this.all();
    for (const a of addrs) delete cur[a];
    await writeJsonAtomic(this.file, cur);
  }
}

type Moved = GpuActionResult['devices'];

async function guard(r: Reverter, ctx: StepContext, addr: string): Promise<DeviceState> {
  const orig = await deviceState(ctx.root, addr);
  r.add(() => restoreDevice(ctx, addr, orig), `restore ${addr} to ${orig.driver ?? 'no driver'}`);
  return orig;
}

export async function bindUnit(ctx: StepContext, unit: Unit, memo: OriginalDrivers): Promise<Moved> {
  const before: Record<string, DeviceState> = {};
  for (const a of unit.devices) before[a] = await deviceState(ctx.root, a);
  await memo.remember(before);
  return withReverter(async (r) => {
    r.add(() => memo.forget(unit.devices.filter((a) => before[a]!.driver !== 'vfio-pci')), 'forget original drivers');
    const moved: Moved = [];
    for (const addr of unit.devices) {
      const orig = await guard(r, ctx, addr);
      if (orig.driver === 'vfio-pci') {
        moved.push({ address: addr, from: 'vfio-pci', to: 'vfio-pci' });
        continue;
      }
      await steps.setOverride(ctx, addr, 'vfio-pci');
      if (orig.driver) await steps.unbind(ctx, addr, orig.driver);
      await steps.probe(ctx, addr);
      await waitForDriver(ctx, addr, 'vfio-pci');
      moved.push({ address: addr, ...(orig.driver ? { from: orig.driver } : {}), to: 'vfio-pci' });
    }
    if (ctx.vfio && unit.group !== undefined) await ctx.vfio.handOver(r, unit.group);
    return moved;
  });
}

export async function unbindUnit(ctx: StepContext, unit: Unit, memo: OriginalDrivers): Promise<Moved> {
  const before: Record<string, DeviceState> = {};
  for (const a of unit.devices) before[a] = await deviceState(ctx.root, a);
  await memo.remember(before);
  return withReverter(async (r) => {
    if (ctx.vfio && unit.group !== undefined) await ctx.vfio.giveBack(r, unit.group);
    const moved: Moved = [];
    for (const addr of unit.devices) {
      const orig = await guard(r, ctx, addr);
      if (!orig.driver) {
        moved.push({ address: addr });
        continue;
      }
      await steps.unbind(ctx, addr, orig.driver);
      await waitForDriver(ctx, addr, undefined);
      moved.push({ address: addr, from: orig.driver });
    }
    return moved;
  });
}

export async function reattachUnit(ctx: StepContext, unit: Unit, memo: OriginalDrivers): Promise<Moved> {
  const known = await memo.all();
  const moved = await withReverter(async (r) => {
    // The VM's user loses the group before its devices go back to the host.
    if (ctx.vfio && unit.group !== undefined) await ctx.vfio.giveBack(r, unit.group);
    const out: Moved = [];
    for (const addr of unit.devices) {
      const orig = await guard(r, ctx, addr);
      const target = known[addr];
      if (orig.driver && orig.driver !== 'vfio-pci' && orig.driver !== 'pci-stub' && !orig.override) {
        out.push({ address: addr, from: orig.driver, to: orig.driver });
        continue;
      }
      await steps.setOverride(ctx, addr, target?.override);
      if (orig.driver) await steps.unbind(ctx, addr, orig.driver);
      await steps.probe(ctx, addr);
      if (target?.driver) {
        const now = await deviceState(ctx.root, addr);
        if (!now.driver) await steps.bindTo(ctx, addr, target.driver);
        await waitForDriver(ctx, addr, target.driver);
      }
      const now = await deviceState(ctx.root, addr);
      if (!now.driver) {
        throw new NovaError('NOT_FOUND', `no host driver claimed ${addr} (Nova has no record of its original driver)`, {
          address: addr,
          fix: 'load the host driver (`sudo modprobe nvidia`, `amdgpu`, `i915` or `snd_hda_intel`) and run `nova gpu reattach` again',
        });
      }
      out.push({ address: addr, ...(orig.driver ? { from: orig.driver } : {}), to: now.driver });
    }
    return out;
  });
  await memo.forget(unit.devices);
  return moved;
}

export async function resetUnit(ctx: StepContext, unit: Unit, scan: PciScan, force: boolean): Promise<Moved> {
  const gpu = scan.devices.get(unit.gpu)!;
  if (gpu.driver && !VFIO_OK.has(gpu.driver) && !force) {
    throw new NovaError('CONFLICT', `${gpu.address} is in use by ${gpu.driver}: reset it when it is on vfio-pci or unbound`, { address: gpu.address, fix: `run \`nova gpu bind ${gpu.address}\` first, or pass --force` });
  }
  if (gpu.resetMethods.length === 0) {
    throw new NovaError('HOST_UNSUPPORTED', `${gpu.address} has no reset method (no /sys/bus/pci/devices/${gpu.address}/reset)`, {
      address: gpu.address,
      fix: gpu.vendorId === '1002' ? 'install and load vendor-reset (Arch: vendor-reset-dkms-git; Debian: build it with dkms) if the card is supported' : 'reboot the host to reset the card',
    });
  }
  const moved: Moved = [];
  for (const addr of unit.devices) {
    const d = scan.devices.get(addr);
    if (!d || d.resetMethods.length === 0) continue;
    await steps.reset(ctx, addr);
    moved.push({ address: addr, ...(d.driver ? { from: d.driver, to: d.driver } : {}) });
  }
  return moved;
}

/** Runs an action per requested address, once per unit, and reports a result for each address. */
export async function runBulk(
  addresses: string[],
  plan: (addr: string) => Unit,
  run: (unit: Unit) => Promise<Moved>,
  describe: (moved: Moved) => string,
): Promise<{ results: GpuActionResult[]; ok: boolean }> {
  const done = new Map<string, GpuActionResult>();
  const results: GpuActionResult[] = [];
  for (const address of [...new Set(addresses)]) {
    let unit: Unit | undefined;
    try {
      unit = plan(address);
      const prior = done.get(unit.gpu);
      if (prior) {
        results.push({ ...prior, address, message: prior.ok ? `${prior.message} (together with ${unit.gpu})` : prior.message });
        continue;
      }
      const moved = await run(unit);
      const res: GpuActionResult = { address, ok: true, devices: moved, message: describe(moved) };
      done.set(unit.gpu, res);
      results.push(res);
    } catch (e) {
      const err = toNovaError(e);
      const fix = (err.details as { fix?: string } | undefined)?.fix;
      const res: GpuActionResult = { address, ok: false, devices: [], message: err.message, error: { code: err.code, message: err.message, ...(fix ? { fix } : {}) } };
      if (unit) done.set(unit.gpu, res);
      results.push(res);
    }
  }
  return { results, ok: results.every((r) => r.ok) };
}
