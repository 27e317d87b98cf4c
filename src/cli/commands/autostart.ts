// `nova autostart ls|start|stop`: guests that start with the host; nova-guests.service runs
// `start` at boot and `stop` at shutdown (like libvirt-guests).
import type { AutostartOutcome } from '../../shared/contract/autostart.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../output.js';

const outcomes = (items: AutostartOutcome[]) =>
  items.length
    ? items.map((o) => `${o.kind} ${o.name}: ${o.result}${o.how ? ` (${o.how})` : ''}${o.reason ? ` — ${o.reason}` : ''} in ${(o.ms / 1000).toFixed(1)} s`).join('\n')
    : 'nothing to do';

export function registerAutostartCommands(ctx: CliContext): void {
  const a = ctx.noun('autostart', 'Guests that start at host boot (autostart = true) and stop cleanly at shutdown');
  a.command('ls').alias('list').description('VMs and capsules, and whether they start at boot').action(async () =>
    ctx.print(await ctx.call('autostart.list', {}), (r) => r.items.map((g) => `${g.kind.padEnd(8)} ${g.name.padEnd(24)} ${(g.autostart ? 'autostart' : '-').padEnd(10)} ${g.state}`).join('\n')),
  );
  a.command('start').description('Bring the saved networks up, resume VMs suspended at shutdown, then start every guest marked autostart (host boot)').action(async () => {
    const r = await ctx.call('autostart.start', {});
    ctx.print(r, (x) => outcomes(x.items));
    if (r.items.some((o) => o.result === 'failed')) process.exitCode = 1;
  });
  a.command('stop')
    .description('Stop every running guest cleanly, forced after the timeout (host shutdown)')
    .option('--timeout <seconds>', 'per guest, before it is forced', '120')
    .option('--only-autostart', 'only the guests marked autostart')
    .option('--action <action>', 'shutdown (clean, forced after the timeout) or suspend (VMs saved to disk, resumed by `autostart start`)', 'shutdown')
    .action(async (o: { timeout: string; onlyAutostart?: boolean; action: string }) => {
      const s = Number(o.timeout);
      if (!Number.isFinite(s) || s < 0 || s > 3600) throw new UsageError(`--timeout ${o.timeout}: seconds from 0 to 3600`);
      if (o.action !== 'shutdown' && o.action !== 'suspend') throw new UsageError(`--action ${o.action}: write shutdown or suspend`);
      const r = await ctx.call('autostart.stop', { timeoutMs: Math.round(s * 1000), onlyAutostart: Boolean(o.onlyAutostart), action: o.action });
      ctx.print(r, (x) => outcomes(x.items));
      if (r.items.some((x) => x.result === 'failed')) process.exitCode = 1;
    });
}
