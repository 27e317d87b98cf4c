// `nova image vm ls|pull`: OS images for VMs (the catalog, downloads with a progress bar).
import type { Command } from 'commander';
import type { OsImagePulled, OsImageRow } from '../../shared/contract/osimage.js';
import type { TaskInfo } from '../../shared/contract/task.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { writeErr } from '../terminal.js';

function osImageTable(items: OsImageRow[]): string {
  const rows = items.map((i) => [
    i.name,
    i.kind === 'cloud' ? i.format : 'your download',
    i.path ? `stored ${formatBytes(i.sizeBytes ?? 0)}` : i.partialBytes ? `partial ${formatBytes(i.partialBytes)}` : '-',
    i.title + (i.origin === 'user' ? ' (os-images.json)' : ''),
  ]);
  const head = ['NAME', 'FORMAT', 'LOCAL', 'TITLE'];
  const w = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  return [head, ...rows].map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(w[c]!))).join('  ')).join('\n');
}

const pulledText = (p: OsImagePulled) =>
  [
    `${p.cached ? 'already stored' : 'pulled'} ${p.name}: ${p.path} (${formatBytes(p.sizeBytes)}${p.resumedFrom ? `, resumed from ${formatBytes(p.resumedFrom)}` : ''})`,
    `${p.checksum.algorithm} ${p.checksum.value}`,
    `signature: ${p.signature.checked ? 'checked' : 'not checked'} — ${p.signature.note}`,
    `use it as a backing file: nova vm disk create DISK.qcow2 --size 20G --backing ${p.path}`,
  ].join('\n');

/** One line that rewrites itself on a terminal; whole lines every 10 % otherwise. */
export function progressBar(isTty: boolean, write: (s: string) => void): (t: TaskInfo) => void {
  let lastTenth = -1;
  return (t) => {
    if (t.state !== 'running') {
      if (isTty) write('\n');
      return;
    }
    const pct = t.progress === null ? undefined : Math.floor(t.progress * 100);
    if (isTty) {
      const bar = pct === undefined ? '' : `[${'#'.repeat(Math.floor(pct / 4)).padEnd(25)}] ${String(pct).padStart(3)}% `;
      write(`\r${bar}${t.message ?? ''}\x1b[K`);
    } else if (pct === undefined || Math.floor(pct / 10) !== lastTenth) {
      if (pct !== undefined) lastTenth = Math.floor(pct / 10);
      write(`${pct === undefined ? '' : `${pct}% `}${t.message ?? ''}\n`);
    }
  };
}

export function registerImageVmCommands(ctx: CliContext, image: Command): void {
  const vm = image.command('vm').description('OS images for VMs: the catalog (Debian, Ubuntu, Fedora, Arch, Windows 11) and downloads');
  vm.command('ls').alias('list').description('The catalog and what is stored').action(async () => ctx.print(await ctx.call('image.vm.list', {}), (v) => osImageTable(v.items)));
  vm.command('rm')
    .argument('<name>')
    .option('--force', 'delete even when VM disks are backed by it (they stop working)')
    .description('Delete a stored OS image or a partial download')
    .action(async (name: string, o: { force?: boolean }) => ctx.print(await ctx.call('image.vm.rm', { name, force: Boolean(o.force) }), (r) => `removed ${r.name} (${formatBytes(r.freedBytes)} freed)`));
  vm.command('pull')
    .argument('<name>', 'a catalog name, e.g. debian-12')
    .option('--mirror <url>', 'download from this mirror directory instead of the catalog URL')
    .description('Download an OS image with progress, resume an interrupted download, verify checksum and signature')
    .action(async (name: string, o: { mirror?: string }) => {
      const bar = progressBar(process.stderr.isTTY === true, writeErr);
      const off = ctx.opts.json ? undefined : ctx.engine.bus.on('task.progress', (t) => t.title === `pull OS image ${name}` && bar(t));
      try {
        ctx.print(await ctx.call('image.vm.pull', { name, ...(o.mirror ? { mirror: o.mirror } : {}) }), pulledText);
      } finally {
        off?.();
      }
    });
}
