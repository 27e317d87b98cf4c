import type { ApplyOutcome, PlanChange, ProjectPlan, UpResult } from '../../shared/contract/novafile-apply.js';
import { waitForInstallCdPrompts } from './vm-install-cd.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../output.js';
import { writeErr } from '../terminal.js';
import { clusterApply, humanClusterPlan } from './cluster.js';

// `nova plan`, `nova up`, `nova down`, `nova run vm|container NAME`: the NovaFile face.

const SIGN: Record<PlanChange['action'], string> = { create: '+', update: '~', replace: '-/+', start: '>', delete: '-', noop: '=' };

export function formatPlan(p: ProjectPlan, opts: { showNoop?: boolean } = {}): string {
  const lines = [`Project ${p.project} (${p.file})`];
  if (p.interrupted) lines.push(`note: ${p.interrupted}`);
  const rows = p.changes.filter((c) => opts.showNoop || c.action !== 'noop' || c.blocked);
  const w = Math.max(0, ...rows.map((c) => `${c.kind} ${c.name}`.length));
  for (const c of rows) {
    const sign = c.blocked ? '!' : SIGN[c.action];
    const what = c.blocked ? 'blocked' : c.action;
    const why = c.blocked ? c.blocked : c.reasons.join('; ');
    lines.push(`  ${sign.padStart(3)} ${`${c.kind} ${c.name}`.padEnd(w)}  ${what.padEnd(7)}  ${why}`.trimEnd());
  }
  if (p.errors.length) {
    lines.push('', `Errors (${p.errors.length}) — \`nova up\` refuses these; \`nova up --partial\` applies everything else:`);
    for (const e of p.errors) {
      const at = e.line ? `${p.file}:${e.line}:${e.column}: ` : '';
      lines.push(`  ${at}${e.path}: ${e.message}${e.fix ? `\n      fix: ${e.fix}` : ''}`);
    }
  }
  const s = p.summary;
  lines.push(
    '',
    p.converged
      ? 'No changes: the host matches the NovaFile.'
      : `Plan: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.start} to start, ${s.delete} to delete, ${s.noop} unchanged${s.blocked ? `, ${s.blocked} blocked` : ''}.`,
  );
  return lines.join('\n');
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export function formatOutcomes(outcomes: readonly ApplyOutcome[]): string {
  return outcomes
    .map((o) => `  ${o.status === 'done' ? '✓' : o.status === 'failed' ? '✗' : '·'} ${o.action} ${o.kind} ${o.name}${o.status === 'done' ? ` (${secs(o.durationMs)})` : `: ${o.message ?? o.status}`}`)
    .join('\n');
}

/** The result on stdout. Finished items were already shown live on stderr, so only what needs attention is repeated. */
export function formatUp(r: UpResult, opts: { liveShown?: boolean } = {}): string {
  if (r.applied.length === 0) {
    const blocked = r.plan.changes.filter((c) => c.blocked);
    return [`${r.message === 'no changes' ? 'No changes' : r.message} — project ${r.plan.project} (${secs(r.durationMs)}).`, ...blocked.map((c) => `  ! ${c.kind} ${c.name}: ${c.blocked}`)].join('\n');
  }
  const blocked = r.plan.changes.filter((c) => c.blocked).map((c) => `  ! ${c.kind} ${c.name} left out: ${c.blocked}`);
  const listed = opts.liveShown ? r.applied.filter((a) => a.status !== 'done') : r.applied;
  return [
    ...(listed.length ? [`Project ${r.plan.project}:`, formatOutcomes(listed)] : []),
    ...blocked,
    `${r.ok ? 'Done' : 'Finished with errors'}: project ${r.plan.project}: ${r.message} in ${secs(r.durationMs)}.`,
  ].join('\n');
}

interface ApplyFlags {
  partial?: boolean;
  parallel?: string;
}

const parallelOf = (v?: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new UsageError(`--parallel ${v}: use a whole number from 1 to 32`);
  return n;
};

/** Per-item progress on stderr while applying (human mode only; --json prints the result). Returns the unsubscribe. */
function watchProgress(ctx: CliContext): () => void {
  if (ctx.opts.json) return () => undefined;
  const offTask = ctx.engine.bus.on('task.progress', (t) => {
    if (!t.title.includes(': ') || t.state === 'running') return;
    const took = t.endedAt ? ` (${secs(t.endedAt - t.startedAt)})` : '';
    writeErr(`${t.state === 'done' ? '✓' : '✗'} ${t.title.split(': ').slice(1).join(': ')}${t.state === 'done' ? took : `: ${t.error?.message ?? t.state}`}\n`);
  });
  const offNote = ctx.engine.bus.on('notification', (n) => writeErr(`… ${n.body}\n`));
  return () => {
    offTask();
    offNote();
  };
}

export function registerNovafileCommands(ctx: CliContext): void {
  const { program } = ctx;
  const source = () => ctx.novafileSource();
  const watch = () => watchProgress(ctx);
  const finishUp = (r: UpResult) => {
    ctx.print(r, (v) => formatUp(v, { liveShown: true }));
    if (!r.ok) process.exitCode = 1;
  };

  program
    .command('plan')
    .description('Show what `nova up` would change: create / update / replace / start / delete, each with its reason')
    .argument('[names...]', 'only these items and what they need')
    .option('--all', 'also list unchanged items')
    .option('--cluster', 'where each item goes in the cluster and why (host, [placement]), and each host\'s last report')
    .action(async (names: string[], o: { all?: boolean; cluster?: boolean }) => {
      if (o.cluster) return ctx.print(await ctx.call('cluster.plan', source()), humanClusterPlan);
      const r = await ctx.call('novafile.plan', { ...source(), only: names });
      ctx.print(r, (p) => formatPlan(p, { showNoop: o.all ?? false }));
      if (r.errors.length) process.exitCode = 1;
    });

  program
    .command('up')
    .description('Converge the host to the NovaFile (networks → images → VMs and capsules), in parallel')
    .argument('[names...]', 'only these items and what they need')
    .option('--partial', 'apply everything not blocked by a host limit or conflict')
    .option('--parallel <n>', 'independent items at once (default 4)')
    .option('--cluster', 'deploy across the cluster: each item on the host it is placed on (host = "name" or "auto", [placement])')
    .action(async (names: string[], o: ApplyFlags & { cluster?: boolean }) => {
      if (o.cluster) {
        if (names.length) throw new UsageError('nova up --cluster applies the whole NovaFile: leave out item names');
        return clusterApply(ctx, 'up', source());
      }
      const stop = watch();
      try {
        finishUp(await ctx.call('novafile.up', { ...source(), only: names, partial: o.partial ?? false, ...(o.parallel ? { parallel: parallelOf(o.parallel) } : {}) }));
      } finally {
        stop();
      }
      await waitForInstallCdPrompts(ctx);
    });

  program
    .command('down')
    .description('Remove everything this project created (and only that)')
    .option('--volumes', 'also delete VM disks and capsule volumes')
    .option('--project <name>', 'tear down this project without reading a NovaFile')
    .option('--parallel <n>', 'independent items at once (default 4)')
    .option('--cluster', 'remove the project from every host of the cluster and release its placements')
    .action(async (o: { volumes?: boolean; project?: string; parallel?: string; cluster?: boolean }) => {
      if (o.cluster) return clusterApply(ctx, 'down', o.project ? { project: o.project } : source());
      const stop = watch();
      try {
        const r = await ctx.call('novafile.down', { ...source(), volumes: o.volumes ?? false, ...(o.project ? { project: o.project } : {}), ...(o.parallel ? { parallel: parallelOf(o.parallel) } : {}) });
        const attention = r.removed.filter((x) => x.status !== 'done');
        ctx.print(r, (v) => (attention.length ? `${formatOutcomes(attention)}\n${v.message}` : v.message));
        if (!r.ok) process.exitCode = 1;
      } finally {
        stop();
      }
    });

  const run = ctx.verb('run', 'Apply one item of the NovaFile and what it needs');
  for (const kind of ['vm', 'container'] as const) {
    run
      .command(`${kind} <name>`)
      .description(`Create and start ${kind === 'vm' ? 'VM' : 'container'} NAME as declared in the NovaFile (with its network and image)`)
      .option('--partial', 'apply what is not blocked by a host limit')
      .action(async (name: string, o: ApplyFlags) => {
        const stop = watch();
        try {
          finishUp(await ctx.call('novafile.run', { ...source(), kind, name, partial: o.partial ?? false }));
        } finally {
          stop();
        }
        if (kind === 'vm') await waitForInstallCdPrompts(ctx);
      });
  }
}
