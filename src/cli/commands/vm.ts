// `nova vm …` plus the VM side of the shared verbs (`nova stop vm X`, `nova snapshot vm X`,
// `nova logs vm X`, `nova clone vm A B`, `nova migrate vm X --to URI`, `nova wizard vm X`).
// One file per verb group; this one keeps the order the commands are listed in.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { NovaError } from '../../shared/errors.js';
import { loadNovafile } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';
import { vmPrinters, vmTable } from './vm-format.js';
import { progressBar } from './image-vm.js';
import { writeErr } from '../terminal.js';
import { UsageError } from '../output.js';
import { registerVmObserve, registerVmPower } from './vm-runtime.js';
import { registerVmSnapshotCommands } from './vm-snapshot.js';
import { registerVmMoveCommands } from './vm-move.js';
import { registerVmDiskCommands } from './vm-disk.js';
import { registerVmWizardCommand } from './vm-wizard.js';
import { registerVmExec } from './vm-guest.js';
import { registerVmNic } from './vm-nic.js';
import { registerVmUsb } from './usb.js';

export { formatVm } from './vm-format.js';

function registerVmDefine(ctx: CliContext, vm: Command): void {
  const { show } = vmPrinters(ctx);
  vm.command('ls').alias('list').description('List VMs with their derived state').option('--project <name>', 'only this NovaFile project')
    .action(async (o: { project?: string }) => {
      const r = await ctx.call('vm.list', o.project ? { project: o.project } : {});
      ctx.print(r, (x) => vmTable(x.items));
    });
  vm.command('inspect <name>').alias('status').description('Spec, state and why, console, disks').action(async (name: string) => show(await ctx.call('vm.inspect', { name })));
  vm.command('create <name>')
    .description('Define a VM from the NovaFile\'s [vm.NAME] section, or from flags')
    .option('--image <path>', 'boot disk image').option('--iso <path>', 'installer ISO').option('--kernel <path>').option('--initrd <path>')
    .option('--cmdline <text>').option('--memory <size>', 'e.g. 4Gi').option('--cpu <n>', 'vCPUs').option('--network <name>', '"user", "none" or a network')
    .option('--preset <name>', 'win11 | gpu-labs | linux')
    .option('--disk-size <size>', 'a new disk NAME.qcow2 of this size (with --iso: an install, CD first on the first boot only)')
    .option('--virtio-win <path>', 'the virtio-win drivers ISO, a second CD (Windows)')
    .option('--os-image <name>', 'a catalog OS image (pulled if missing) as the base of the new disk NAME.qcow2')
    .action(async (name: string, o: Record<string, string | undefined>) => {
      const flags = ['image', 'iso', 'kernel', 'initrd', 'cmdline', 'memory', 'network', 'preset'].filter((k) => o[k] !== undefined);
      const disk = await newDiskFlags(ctx, name, o);
      if (disk) flags.push('disks');
      let spec: Record<string, unknown>;
      let project: string | undefined;
      if (flags.length === 0 && o.cpu === undefined) {
        const nf = await loadNovafile(ctx.novafileSource());
        const section = nf.novafile.vm[name];
        if (!section) throw new NovaError('NOT_FOUND', `${nf.file} has no [vm.${name}] section`, { fix: `add one, or pass flags (nova vm create ${name} --image disk.qcow2)` });
        spec = section as unknown as Record<string, unknown>;
        project = nf.novafile.project;
      } else {
        spec = Object.fromEntries(flags.filter((k) => k !== 'disks').map((k) => [k, o[k]]));
        if (o.cpu !== undefined) spec.cpu = Number(o.cpu);
        if (disk) Object.assign(spec, disk);
      }
      show(await ctx.call('vm.create', { name, spec: spec as never, ...(project ? { project } : {}), baseDir: process.cwd() }));
    });
}

/**
 * --disk-size / --os-image / --virtio-win → the new disk and the CDs: an ISO with a new disk is an
 * install (CD first on the first boot, then the disk alone); an OS image is pulled (with its
 * progress bar) and becomes the new disk's backing file.
 */
async function newDiskFlags(ctx: CliContext, name: string, o: Record<string, string | undefined>): Promise<Record<string, unknown> | undefined> {
  if (o.virtioWin && !o.iso) throw new UsageError('--virtio-win is the second CD of an install: give the installer with --iso PATH too');
  if (!o.diskSize && !o.osImage) return undefined;
  const out: Record<string, unknown> = {};
  let backing: string | undefined;
  if (o.osImage) {
    const bar = progressBar(process.stderr.isTTY === true, writeErr);
    const off = ctx.opts.json ? undefined : ctx.engine.bus.on('task.progress', (t) => t.title === `pull OS image ${o.osImage}` && bar(t));
    try {
      backing = (await ctx.call('image.vm.pull', { name: o.osImage })).path;
    } finally {
      off?.();
    }
  }
  out.disks = [{ path: resolve(`${name}.qcow2`), ...(o.diskSize ? { size: o.diskSize } : {}), ...(backing ? { backing } : {}) }];
  if (o.iso && !backing) {
    out.iso = [resolve(o.iso), ...(o.virtioWin ? [resolve(o.virtioWin)] : [])];
    out.install = true;
  }
  return out;
}

export function registerVmCommands(ctx: CliContext): void {
  const vm = ctx.noun('vm', 'Virtual machines (QEMU/KVM; TCG when KVM does not work)');
  registerVmDefine(ctx, vm);
  registerVmPower(ctx, vm);
  registerVmObserve(ctx, vm);
  registerVmExec(ctx, vm);
  registerVmNic(ctx, vm);
  registerVmUsb(ctx, vm);
  registerVmSnapshotCommands(ctx);
  registerVmMoveCommands(ctx, vm);
  registerVmDiskCommands(ctx, vm);
  registerVmWizardCommand(ctx);
}
