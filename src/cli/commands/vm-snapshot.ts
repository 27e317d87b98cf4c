// `nova snapshot vm X [--tag T]`, `nova snapshot ls|restore|rm vm X …`.
import type { VmDiskChain } from '../../shared/contract/vm.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

const when = (s: number) => new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');

/** External snapshots as a tree per disk (only when there is one): base first, `*` marks the layer QEMU writes to. */
export function chainTree(chains: VmDiskChain[]): string {
  const lines: string[] = [];
  for (const c of chains.filter((x) => x.layers.length > 1)) {
    lines.push('', `${c.node} chain:`);
    c.layers.forEach((l, i) => {
      const pad = '  '.repeat(i);
      const what = l.externalTag ? `external ${l.externalTag}` : 'base';
      lines.push(`${pad}${i ? '└ ' : ''}${l.current ? '* ' : ''}${what}  ${l.file}  ${formatBytes(l.sizeBytes)}${l.createdAt ? `  ${when(l.createdAt / 1000)}` : ''}${l.current ? '  (current)' : ''}`);
      for (const s of l.snapshots) lines.push(`${pad}  · ${s.tag}  ${when(s.date)}  ${s.vmStateSize ? `RAM ${formatBytes(s.vmStateSize)}` : 'disk only'}`);
    });
  }
  return lines.join('\n');
}

export function registerVmSnapshotCommands(ctx: CliContext): void {
  const snap = ctx.verb('snapshot', 'Snapshots of VMs and containers');
  ctx.group(snap, 'vm', 'Snapshot a VM (live: RAM + disks)').argument('<name>').option('--tag <tag>').option('--external', 'new qcow2 overlay instead of an internal snapshot')
    .action(async (name: string, o: { tag?: string; external?: boolean }) => {
      const r = await ctx.call('vm.snapshot.create', { name, ...(o.tag ? { tag: o.tag } : {}), external: Boolean(o.external) });
      const how = (x: typeof r) => (x.consistency === 'filesystem' ? '; filesystem-consistent (guest filesystems frozen by its agent)' : x.consistency === 'crash' ? `; crash-consistent only (${x.fsFreeze?.reason ?? 'not frozen'})` : '');
      ctx.print(r, (x) => `snapshot ${x.tag} of ${x.name} taken in ${Math.round(x.durationMs)} ms${x.overlays ? ` (overlays: ${x.overlays.join(', ')})` : ''}${how(x)}${x.uefiVars ? '; UEFI variables kept' : ''}`);
    });
  ctx.group(ctx.group(snap, 'ls', 'List snapshots'), 'vm', 'List VM snapshots').argument('<name>').action(async (name: string) => {
    const r = await ctx.call('vm.snapshot.list', { name });
    ctx.print(r, (x) => (x.snapshots.length === 0 ? `${name} has no snapshots` : table(x.snapshots, [
      { header: 'TAG', get: (s) => s.tag },
      { header: 'DATE', get: (s) => when(s.date) },
      { header: 'RAM STATE', get: (s) => (s.vmStateSize ? formatBytes(s.vmStateSize) : 'disk only') },
      { header: 'DISKS', get: (s) => s.disks.join(',') },
      { header: 'UEFI VARS', get: (s) => (s.uefiVars ? 'kept' : '-') },
    ])) + chainTree(x.chain ?? []));
  });
  ctx.group(ctx.group(snap, 'restore', 'Revert to a snapshot'), 'vm', 'Revert a VM to a snapshot').arguments('<name> <tag>').action(async (name: string, tag: string) => {
    const r = await ctx.call('vm.snapshot.restore', { name, tag });
    ctx.print(r, (x) => `${x.name} reverted to ${x.tag} in ${Math.round(x.durationMs)} ms${x.uefiVars ? ' (UEFI variables too)' : ''}`);
  });
  ctx.group(ctx.group(snap, 'rm', 'Delete a snapshot'), 'vm', 'Delete a VM snapshot').arguments('<name> <tag>').action(async (name: string, tag: string) => {
    const r = await ctx.call('vm.snapshot.delete', { name, tag });
    ctx.print(r, (x) => `deleted snapshot ${x.tag} of ${x.name}`);
  });
}
