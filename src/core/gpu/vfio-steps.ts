import { readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { crashPoint } from '../sys/crash-point.js';
import { readAttr, sysPaths } from './sysfs.js';
import type { VfioHandover } from './vfio-nodes.js';
import type { SysfsWriter } from './writer.js';

// The individual sysfs steps of a VFIO move, each with the error a user can act on. Steps are
// composed (and undone) by actions.ts under a Reverter.

export interface StepContext {
  root: string;
  writer: SysfsWriter;
  writeTimeoutMs: number;
  linkTimeoutMs: number;
  /** What the user ran, for the messages. */
  command: string;
  /** `nova privd` only: hands /dev/vfio/N to its caller after a bind, takes it back before a move off vfio-pci. */
  vfio?: VfioHandover;
}

export interface DeviceState {
  driver?: string;
  override?: string;
}

export async function deviceState(root: string, addr: string): Promise<DeviceState> {
  const dir = sysPaths(root).device(addr);
  const driver = await readlink(join(dir, 'driver')).then(basename, () => undefined);
  const ov = await readAttr(join(dir, 'driver_override'));
  return { ...(driver ? { driver } : {}), ...(ov && ov !== '(null)' ? { override: ov } : {}) };
}

function mapWriteError(e: unknown, ctx: StepContext, path: string, addr: string, what: string, driver?: string): NovaError {
  const code = (e as NodeJS.ErrnoException).code;
  const rel = path.startsWith(ctx.root) ? `/sys${path.slice(ctx.root.length)}` : path;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new NovaError('PERMISSION', `${what}: writing ${rel} needs root`, { address: addr, fix: `${ctx.command} writes to /sys/bus/pci: a desktop user's Nova asks its privileged helper (nova privd) to do it; this process was thought to hold the rights and does not` });
    case 'EBUSY':
      return new NovaError('CONFLICT', `${what}: ${addr} is busy — ${driver ?? 'its driver'} reports a non-zero usage count`, {
        address: addr,
        fix: 'close what uses the GPU (compositor or X session on it, nvidia-smi, nvidia-persistenced, CUDA/ROCm programs, browsers) and retry; `sudo fuser -v /dev/dri/* /dev/nvidia*` shows them',
      });
    case 'ENODEV':
      return new NovaError('CONFLICT', `${what}: the kernel refused (${rel}: no such device)${driver ? ` — ${driver} does not claim ${addr}` : ''}`, { address: addr, fix: 'check `sudo dmesg | tail` for the reason' });
    case 'ENOENT':
      return new NovaError('NOT_FOUND', `${what}: ${rel} does not exist`, { address: addr });
    case 'EIO':
      return new NovaError('INTERNAL', `${what}: the kernel reported an I/O error on ${rel}`, { address: addr, fix: 'the card may be stuck; check `sudo dmesg | tail`, a host reboot recovers it' });
    default:
      return e instanceof NovaError ? e : new NovaError('INTERNAL', `${what}: ${(e as Error).message}`, { address: addr });
  }
}

/** `echo value > path` with a deadline: a driver waiting for its users blocks the write forever. */
export async function sysWrite(ctx: StepContext, path: string, value: string, addr: string, what: string, driver?: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new NovaError('TIMEOUT', `${what}: writing ${path.startsWith(ctx.root) ? `/sys${path.slice(ctx.root.length)}` : path} did not return within ${ctx.writeTimeoutMs / 1000} s`, {
            address: addr,
            fix: `${driver ?? 'the driver'} waits for its users to let go of the device: close programs using the GPU and retry`,
          }),
        ),
      ctx.writeTimeoutMs,
    );
  });
  try {
    await Promise.race([ctx.writer.write(path, value), deadline]);
  } catch (e) {
    throw mapWriteError(e, ctx, path, addr, what, driver);
  } finally {
    clearTimeout(timer);
  }
  crashPoint(what);
}

/** Polls the device's driver link until it is `expected` (undefined = unbound). */
export async function waitForDriver(ctx: StepContext, addr: string, expected: string | undefined): Promise<void> {
  const until = Date.now() + ctx.linkTimeoutMs;
  for (;;) {
    const { driver } = await deviceState(ctx.root, addr);
    if (driver === expected) return;
    if (Date.now() >= until) {
      throw new NovaError('TIMEOUT', `${addr} is ${driver ? `bound to ${driver}` : 'unbound'} after ${ctx.linkTimeoutMs / 1000} s, expected ${expected ?? 'no driver'}`, {
        address: addr,
        fix: expected === 'vfio-pci' ? 'check that vfio-pci is loaded (`sudo modprobe vfio-pci`) and `sudo dmesg | tail` for probe errors' : `load the driver (\`sudo modprobe ${expected ?? ''}\`) and check \`sudo dmesg | tail\``,
      });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const p = (ctx: StepContext) => sysPaths(ctx.root);

export const steps = {
  setOverride: (ctx: StepContext, addr: string, driver: string | undefined) =>
    sysWrite(ctx, join(p(ctx).device(addr), 'driver_override'), driver ? driver : '\n', addr, `setting the driver override of ${addr}`),
  unbind: (ctx: StepContext, addr: string, driver: string) =>
    sysWrite(ctx, join(p(ctx).device(addr), 'driver', 'unbind'), addr, addr, `unbinding ${addr} from ${driver}`, driver),
  probe: (ctx: StepContext, addr: string) => sysWrite(ctx, p(ctx).driversProbe, addr, addr, `probing drivers for ${addr}`),
  bindTo: (ctx: StepContext, addr: string, driver: string) =>
    sysWrite(ctx, join(p(ctx).driver(driver), 'bind'), addr, addr, `binding ${addr} to ${driver}`, driver),
  reset: (ctx: StepContext, addr: string) => sysWrite(ctx, join(p(ctx).device(addr), 'reset'), '1', addr, `resetting ${addr}`),
};

/**
 * Brings a device back to `orig` from wherever a failed action left it: the undo every action
 * registers before its first write. State-based, so it is right whichever step failed.
 */
export async function restoreDevice(ctx: StepContext, addr: string, orig: DeviceState): Promise<void> {
  const now = await deviceState(ctx.root, addr);
  if (now.driver !== orig.driver) {
    if (now.driver) await steps.unbind(ctx, addr, now.driver);
    await steps.setOverride(ctx, addr, orig.override);
    if (orig.driver) {
      await steps.bindTo(ctx, addr, orig.driver).catch(() => steps.probe(ctx, addr));
      await waitForDriver(ctx, addr, orig.driver);
    }
  } else if (now.override !== orig.override) {
    await steps.setOverride(ctx, addr, orig.override);
  }
}
