// `nova snapshot container X [--tag T | --list | --restore T | --rm T]`, `nova capsule snapshot …`
// and `nova snapshot ls|restore|rm container X …`.
import type { Command } from 'commander';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { sub } from './capsule-args.js';
import { snapTable } from './capsule-format.js';

export function registerCapsuleSnapshots(ctx: CliContext, noun: Command, show: (c: CapsuleInfo) => void): void {
  const snapshot = (c: Command) =>
    c
      .argument('<name>')
      .description('Snapshot a capsule\'s writable layer (or list, restore, remove snapshots)')
      .option('--tag <tag>', 'name of the new snapshot (default: the time)')
      .option('--list', 'list snapshots')
      .option('--restore <tag>', 'roll back to a snapshot (restarts a running capsule)')
      .option('--rm <tag>', 'delete a snapshot')
      .action(async (name: string, o: { tag?: string; list?: boolean; restore?: string; rm?: string }) => {
        if (o.list) return ctx.print(await ctx.call('capsule.snapshot.list', { name }), (v) => snapTable(v.items));
        if (o.restore) return show(await ctx.call('capsule.snapshot.restore', { name, tag: o.restore }));
        if (o.rm) return ctx.print(await ctx.call('capsule.snapshot.rm', { name, tag: o.rm }), (r) => `removed snapshot ${r.tag} of ${r.capsule}`);
        ctx.print(await ctx.call('capsule.snapshot.create', { name, ...(o.tag ? { tag: o.tag } : {}) }), (s) => `snapshot ${s.tag} of ${s.capsule}: ${formatBytes(s.sizeBytes)}`);
      });
  snapshot(noun.command('snapshot'));
  snapshot(sub(ctx.verb('snapshot', 'Snapshots of a vm or container'), 'container', ['capsule']));
  // `nova snapshot ls|restore|rm container X …`: the same forms VMs use.
  const snapGroup = (verb: string, description: string) => sub(ctx.group(ctx.verb('snapshot', ''), verb, description), 'container', ['capsule']);
  snapGroup('ls', 'List snapshots').argument('<name>').description('List capsule snapshots')
    .action(async (name: string) => ctx.print(await ctx.call('capsule.snapshot.list', { name }), (v) => snapTable(v.items)));
  snapGroup('restore', 'Revert to a snapshot').arguments('<name> <tag>').description('Roll a capsule back to a snapshot (restarts it if running)')
    .action(async (name: string, tag: string) => show(await ctx.call('capsule.snapshot.restore', { name, tag })));
  snapGroup('rm', 'Delete a snapshot').arguments('<name> <tag>').description('Delete a capsule snapshot')
    .action(async (name: string, tag: string) => ctx.print(await ctx.call('capsule.snapshot.rm', { name, tag }), (r) => `removed snapshot ${r.tag} of ${r.capsule}`));
}
