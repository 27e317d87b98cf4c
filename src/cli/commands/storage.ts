import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { formatBytes } from '../../shared/sizes.js';

export function registerStorageCommands(ctx: CliContext): void {
  const storage = ctx.noun('storage', 'Storage pools: where VM disks and ISOs live');

  storage
    .command('pools')
    .description('Pools with their folder, free space and what Nova keeps there')
    .action(async () => {
      const r = await ctx.call('storage.pools', {});
      ctx.print(r, (v) =>
        table(v.pools, [
          { header: 'POOL', get: (p) => p.name },
          { header: 'PATH', get: (p) => p.path },
          { header: 'FREE', get: (p) => (p.exists && p.freeBytes !== undefined ? `${formatBytes(p.freeBytes)} of ${formatBytes(p.totalBytes ?? 0)}` : 'folder missing') },
          { header: 'USED', get: (p) => `${formatBytes(p.usedBytes)} in ${p.files} file(s)` },
        ]),
      );
    });

  storage
    .command('ls [pool]')
    .description('Disks and ISOs in the pools, with sizes and the VMs using them')
    .option('--kind <kind>', 'disk | iso | other')
    .action(async (pool: string | undefined, o: { kind?: 'disk' | 'iso' | 'other' }) => {
      const r = await ctx.call('storage.files', { ...(pool ? { pool } : {}), ...(o.kind ? { kind: o.kind } : {}) });
      ctx.print(r, (v) =>
        v.items.length === 0
          ? 'No files. VM disks created without a folder land in the default pool; add a folder: nova storage add NAME PATH'
          : table(v.items, [
              { header: 'POOL', get: (f) => f.pool },
              { header: 'NAME', get: (f) => f.name },
              { header: 'KIND', get: (f) => `${f.kind} (${f.format})` },
              { header: 'SIZE', get: (f) => formatBytes(f.virtualBytes) },
              { header: 'ON DISK', get: (f) => formatBytes(f.allocatedBytes) },
              { header: 'USED BY', get: (f) => f.usedBy.join(', ') || '—' },
            ]),
      );
    });

  storage
    .command('add <name> <path>')
    .description('Add an existing folder as a pool')
    .action(async (name: string, path: string) => {
      const r = await ctx.call('storage.pool.add', { name, path });
      ctx.print(r, (p) => `Added pool ${p.name} at ${p.path}`);
    });

  storage
    .command('rm <name>')
    .description('Forget an added pool (its files stay)')
    .action(async (name: string) => {
      const r = await ctx.call('storage.pool.remove', { name });
      ctx.print(r, (v) => `Forgot pool ${v.name}; its files are untouched`);
    });
}
