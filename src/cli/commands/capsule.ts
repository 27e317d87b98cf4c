// `nova capsule …` (alias `container`), `nova image …`, and the shared verb-first forms
// `nova start|stop|restart|pause|resume|rm|logs|exec|snapshot container NAME`.
// One file per verb group; this one keeps the order the commands are listed in.
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { capsuleDetail, capsuleTable } from './capsule-format.js';
import { registerCapsuleCreate } from './capsule-create.js';
import { registerCapsuleLifecycle, registerCapsuleLogs } from './capsule-lifecycle.js';
import { registerCapsuleExec } from './capsule-exec.js';
import { registerCapsuleSnapshots } from './capsule-snapshot.js';
import { registerImageCommands } from './image.js';

export function registerCapsuleCommands(ctx: CliContext): void {
  const noun = ctx.noun('capsule', 'Capsules: OCI containers on crun/runc', ['container']);
  const show = (c: CapsuleInfo) => ctx.print(c, capsuleDetail);

  noun
    .command('ls')
    .alias('list')
    .description('List capsules')
    .option('--project <name>', 'only this NovaFile project')
    .action(async (o: { project?: string }) => ctx.print(await ctx.call('capsule.list', { project: o.project }), (v) => capsuleTable(v.items)));

  registerCapsuleCreate(ctx, noun, show);

  noun.command('inspect').argument('<name>').description('Spec, state, exit code (env values redacted)').action(async (name: string) => show(await ctx.call('capsule.inspect', { name })));
  noun.command('stats').argument('<name>').description('CPU, memory, pids and io from the cgroups').action(async (name: string) =>
    ctx.print(await ctx.call('capsule.stats', { name }), (s) =>
      [
        `CPU      ${(s.cpuUsageNs / 1e9).toFixed(2)} s${s.cpuPercent !== undefined ? ` (${s.cpuPercent}%)` : ''}`,
        `Memory   ${formatBytes(s.memoryBytes)}${s.memoryLimitBytes ? ` of ${formatBytes(s.memoryLimitBytes)}` : ''}${s.oomKills ? ` — ${s.oomKills} OOM kills` : ''}`,
        `PIDs     ${s.pids}${s.pidsLimit ? ` of ${s.pidsLimit}` : ''}`,
        `IO       read ${formatBytes(s.ioReadBytes)}, write ${formatBytes(s.ioWriteBytes)}`,
      ].join('\n'),
    ),
  );

  registerCapsuleLifecycle(ctx, noun, show);
  registerCapsuleLogs(ctx, noun);
  registerCapsuleExec(ctx, noun);
  registerCapsuleSnapshots(ctx, noun, show);
  registerImageCommands(ctx);
}
