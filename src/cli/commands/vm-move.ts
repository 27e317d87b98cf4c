// VMs leaving their place: `nova clone vm A B`, `nova migrate vm X --to URI`, `nova vm receive X`.
import type { Command } from 'commander';
import { NovaError } from '../../shared/errors.js';
import { loadNovafile } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';
import { vmPrinters } from './vm-format.js';

async function migrateToHost(ctx: CliContext, name: string, to: string, check: boolean): Promise<void> {
  const r = await ctx.callLocal('vm.migrate.preflight', { name, to });
  ctx.print(r, (x) => (x.ok ? `${x.name} → ${x.to}: preflight passed` : `${x.name} → ${x.to}: preflight refused\n${x.problems.map((p) => `  - ${p}`).join('\n')}`));
  if (!r.ok) throw new NovaError('CONFLICT', `cannot migrate ${name} to ${to}: ${r.problems.length} problem(s) above`, { problems: r.problems });
  if (!check) throw new NovaError('HOST_UNSUPPORTED', `moving ${name} to host ${to} is not available yet: the preflight and the NBD + blockdev-mirror sequence exist, the orchestration between two engines does not (issue #22)`);
}

export function registerVmMoveCommands(ctx: CliContext, vm: Command): void {
  const { show, state } = vmPrinters(ctx);
  const clone = async (source: string, name: string, o: { full?: boolean }) => show(await ctx.call('vm.clone', { source, name, full: Boolean(o.full) }));
  for (const c of [vm.command('clone <source> <name>'), ctx.group(ctx.verb('clone', 'Clone a VM'), 'vm', 'Clone a stopped VM').arguments('<source> <name>')]) {
    c.description('Clone a stopped VM (linked by default)').option('--full', 'full copy instead of a linked clone').action(clone);
  }
  const migrate = async (name: string, o: { to: string; check?: boolean }) => {
    // --to HOST (a name from `nova host ls`): across hosts, preflight first (#22).
    if (/^[a-z0-9][a-z0-9-]*$/.test(o.to)) return migrateToHost(ctx, name, o.to, Boolean(o.check));
    const r = await ctx.call('vm.migrate', { name, to: o.to });
    ctx.print(r, (x) => `${x.name} migrated to ${x.to} in ${Math.round(x.totalMs)} ms${x.downtimeMs !== undefined ? ` (downtime ${x.downtimeMs} ms)` : ''}`);
  };
  for (const c of [vm.command('migrate <name>'), ctx.group(ctx.verb('migrate', 'Live-migrate a VM'), 'vm', 'Live-migrate a VM').argument('<name>')]) {
    c.description('Live-migrate a running VM').requiredOption('--to <uri>', 'tcp:HOST:PORT (destination ran `nova vm receive`), home:/other/NOVA_HOME, or a remote host name (`nova host ls`)')
      .option('--check', 'with --to HOST: only run the preflight').action(migrate);
  }
  vm.command('receive <name>').description('Wait for an incoming live migration of the NovaFile\'s [vm.NAME]').requiredOption('--listen <uri>', 'tcp:0.0.0.0:4444')
    .action(async (name: string, o: { listen: string }) => {
      const nf = await loadNovafile(ctx.novafileSource());
      const spec = nf.novafile.vm[name];
      if (!spec) throw new NovaError('NOT_FOUND', `${nf.file} has no [vm.${name}] section`);
      state(await ctx.call('vm.receive', { name, spec: spec as never, listen: o.listen, baseDir: process.cwd() }));
    });
}
