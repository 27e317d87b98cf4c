// VMs leaving their place: `nova clone vm A B`, `nova migrate vm X --to URI`, `nova vm receive X`.
import type { Command } from 'commander';
import { NovaError } from '../../shared/errors.js';
import { loadNovafile } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';
import { vmPrinters } from './vm-format.js';
import { formatBytes } from '../../shared/sizes.js';
import { writeErr } from '../terminal.js';
import { progressBar } from './image-vm.js';

interface HostMigrateOptions {
  to: string;
  check?: boolean;
  transport?: string;
  bandwidth?: string;
  downtimeMs?: string;
}

async function migrateToHost(ctx: CliContext, name: string, o: HostMigrateOptions): Promise<void> {
  const to = o.to;
  const r = await ctx.callLocal('vm.migrate.preflight', { name, to });
  if (o.check || !r.ok) ctx.print(r, (x) => (x.ok ? `${x.name} → ${x.to}: preflight passed${x.carries?.length ? `; besides disks and RAM it moves ${x.carries.join(' and ')}` : ''}` : `${x.name} → ${x.to}: preflight refused\n${x.problems.map((p) => `  - ${p}`).join('\n')}`));
  if (!r.ok) throw new NovaError('CONFLICT', `cannot migrate ${name} to ${to}: ${r.problems.length} problem(s) above`, { problems: r.problems });
  if (o.check) return;
  if (o.transport && o.transport !== 'ssh' && o.transport !== 'tcp') throw new NovaError('INVALID_INPUT', `--transport: ssh (encrypted, default) or tcp (clear text between the hosts), not ${o.transport}`, { field: 'transport' });
  // Ctrl-C cancels: the VM keeps running here and the target is cleaned.
  const abort = new AbortController();
  const onInt = () => {
    writeErr('\ncancelling: the VM keeps running here\n');
    abort.abort();
  };
  process.once('SIGINT', onInt);
  const bar = progressBar(process.stderr.isTTY === true, writeErr);
  const off = ctx.opts.json ? undefined : ctx.engine.bus.on('task.progress', (t) => t.title === `migrate VM ${name} → host ${to}` && bar(t));
  try {
    const input = {
      name, to, transport: (o.transport ?? 'ssh') as 'ssh' | 'tcp',
      ...(o.bandwidth ? { bandwidth: o.bandwidth } : {}),
      ...(o.downtimeMs ? { downtimeMs: Number(o.downtimeMs) } : {}),
    };
    const out = await ctx.engine.dispatcher.invoke('vm.migrate.host', input, { transport: 'inproc', signal: abort.signal });
    ctx.print(out, (x) => `${x.name} moved to host ${x.to} over ${x.transport} in ${Math.round(x.totalMs)} ms${x.downtimeMs !== undefined ? ` (downtime ${x.downtimeMs} ms)` : ''}, ${formatBytes(x.diskBytes)} of disk${x.removedDisks.length ? `; removed here: ${x.removedDisks.join(', ')}` : ''}`);
  } finally {
    off?.();
    process.off('SIGINT', onInt);
  }
}

export function registerVmMoveCommands(ctx: CliContext, vm: Command): void {
  const { show, state } = vmPrinters(ctx);
  const clone = async (source: string, name: string, o: { full?: boolean }) => show(await ctx.call('vm.clone', { source, name, full: Boolean(o.full) }));
  for (const c of [vm.command('clone <source> <name>'), ctx.group(ctx.verb('clone', 'Clone a VM'), 'vm', 'Clone a stopped VM').arguments('<source> <name>')]) {
    c.description('Clone a stopped VM (linked by default)').option('--full', 'full copy instead of a linked clone').action(clone);
  }
  const migrate = async (name: string, o: HostMigrateOptions) => {
    // --to HOST (a name from `nova host ls`): across hosts with the disks, preflight first (#22).
    if (/^[a-z0-9][a-z0-9-]*$/.test(o.to)) return migrateToHost(ctx, name, o);
    const r = await ctx.call('vm.migrate', { name, to: o.to });
    ctx.print(r, (x) => `${x.name} migrated to ${x.to} in ${Math.round(x.totalMs)} ms${x.downtimeMs !== undefined ? ` (downtime ${x.downtimeMs} ms)` : ''}`);
  };
  for (const c of [vm.command('migrate <name>'), ctx.group(ctx.verb('migrate', 'Live-migrate a VM'), 'vm', 'Live-migrate a VM').argument('<name>')]) {
    c.description('Live-migrate a running VM').requiredOption('--to <uri>', 'tcp:HOST:PORT (destination ran `nova vm receive`), home:/other/NOVA_HOME, or a remote host name (`nova host ls`)')
      .option('--check', 'with --to HOST: only run the preflight')
      .option('--transport <ssh|tcp>', 'with --to HOST: ssh (default; through the host\'s SSH connection, encrypted) or tcp (clear text on the target\'s address)')
      .option('--bandwidth <size>', 'with --to HOST: RAM bandwidth per second, e.g. 512M (QEMU default 128M)')
      .option('--downtime-ms <ms>', 'with --to HOST: the longest pause QEMU aims for at switch-over (default 300)')
      .action(migrate);
  }
  ctx.verb('migrate', 'Live-migrate a VM').command('recover').argument('[name]', 'only this VM')
    .description('Finish or undo cross-host migrations that were interrupted (exactly one host keeps each VM)')
    .action(async (name?: string) => {
      const r = await ctx.callLocal('vm.migrate.recover', name ? { name } : {});
      ctx.print(r, (v) => (v.items.length ? v.items.map((x) => `${x.name} → ${x.to}: ${x.outcome} (${x.reason})`).join('\n') : 'No interrupted migration.'));
    });
  vm.command('receive <name>').description('Wait for an incoming live migration of the NovaFile\'s [vm.NAME]').requiredOption('--listen <uri>', 'tcp:0.0.0.0:4444')
    .action(async (name: string, o: { listen: string }) => {
      const nf = await loadNovafile(ctx.novafileSource());
      const spec = nf.novafile.vm[name];
      if (!spec) throw new NovaError('NOT_FOUND', `${nf.file} has no [vm.${name}] section`);
      state(await ctx.call('vm.receive', { name, spec: spec as never, listen: o.listen, baseDir: process.cwd() }));
    });
}
