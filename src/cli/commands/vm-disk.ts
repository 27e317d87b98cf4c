// `nova vm disk create|import|resize|info`: disk images through qemu-img.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';

type DiskInfo = { path: string; format: string; virtualSize: number; actualSize: number; backingFile?: string; snapshots: number };

const showDisk = (d: DiskInfo) =>
  `${d.path}: ${d.format}, ${formatBytes(d.virtualSize)} virtual, ${formatBytes(d.actualSize)} on disk${d.backingFile ? `, backed by ${d.backingFile}` : ''}, ${d.snapshots} snapshot(s)`;

export function registerVmDiskCommands(ctx: CliContext, vm: Command): void {
  // Paths are the user's, relative to where they typed the command: resolved here, before the call,
  // so the engine (in-process or remote) only ever sees absolute ones.
  const disk = vm.command('disk').description('Disk images (qemu-img)');
  disk.command('create <path>').description('Create a qcow2 or raw disk image').requiredOption('--size <size>').option('--format <f>', 'qcow2 | raw', 'qcow2').option('--backing <path>', 'qcow2 backing file (linked image)')
    .action(async (path: string, o: { size: string; format: 'qcow2' | 'raw'; backing?: string }) => {
      const r = await ctx.call('vm.disk.create', { path: resolve(path), size: o.size, format: o.format, ...(o.backing ? { backing: resolve(o.backing) } : {}) });
      ctx.print(r, showDisk);
    });
  disk.command('import <source> <path>').description('Convert an existing image into a VM disk').option('--format <f>', 'qcow2 | raw', 'qcow2').action(async (source: string, path: string, o: { format: 'qcow2' | 'raw' }) => ctx.print(await ctx.call('vm.disk.import', { source: resolve(source), path: resolve(path), format: o.format }), showDisk));
  disk.command('resize <path> <size>').description('Grow a disk image').action(async (path: string, size: string) => ctx.print(await ctx.call('vm.disk.resize', { path: resolve(path), size }), showDisk));
  disk.command('info <path>').description('Format, size and backing file of a disk image').action(async (path: string) => ctx.print(await ctx.call('vm.disk.info', { path: resolve(path) }), showDisk));
}
