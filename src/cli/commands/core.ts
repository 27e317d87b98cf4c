import type { HostInfo, HostStats } from '../../shared/contract/host.js';
import { formatBytes } from '../../shared/sizes.js';
import { formatIssue } from '../../core/novafile/validate.js';
import type { CliContext } from '../context.js';
import { details, table } from '../output.js';
import { writeErr } from '../terminal.js';
import { formatResourceList } from './ls-format.js';

export function registerCoreCommands(ctx: CliContext): void {
  const { program } = ctx;

  program
    .command('validate')
    .description('Check a NovaFile: every error with file:line:column and a fix')
    .action(async () => {
      const r = await ctx.call('novafile.validate', { path: ctx.opts.novafile, cwd: process.cwd() });
      ctx.print(r, (v) =>
        v.valid
          ? `${v.file}: valid — project ${v.project ?? '(none)'}: ${v.counts.vm} vm, ${v.counts.container} container, ${v.counts.network} network`
          : '',
      );
      if (!r.valid) {
        if (!ctx.opts.json) for (const e of r.errors) writeErr(`${formatIssue(e)}\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('ls')
    .description('List VMs, capsules and networks')
    .option('--kind <kind>', 'only vm, capsule or network')
    .option('--project <name>', 'only resources of this NovaFile project')
    .action(async (o: { kind?: 'vm' | 'capsule' | 'network'; project?: string }) => {
      const r = await ctx.call('resource.list', { kind: o.kind, project: o.project });
      ctx.print(r, formatResourceList);
    });

  const host = ctx.noun('host', 'This host: facts and readiness');
  host
    .command('info')
    .description('OS, kernel, CPUs, memory, accelerator (KVM or TCG and why), cgroups, Wayland, tools')
    .option('--refresh', 're-probe instead of using cached facts')
    .action(async (o: { refresh?: boolean }) => {
      const r = await ctx.call('host.info', { refresh: o.refresh });
      ctx.print(r, formatHostInfo);
    });
  host
    .command('stats')
    .description('CPU % (all CPUs), memory and swap in use, load averages, now')
    .action(async () => {
      const r = await ctx.call('host.stats', {});
      ctx.print(r, formatHostStats);
    });
}

export function formatHostStats(s: HostStats): string {
  const pct = (used: number, total: number) => (total > 0 ? ` (${Math.round((used / total) * 100)}%)` : '');
  return details([
    ['CPU', `${s.cpuPercent !== undefined ? `${s.cpuPercent.toFixed(1)}%` : '?'} of ${s.cpus} CPUs`],
    ['Memory', `${formatBytes(s.memoryUsedBytes)} of ${formatBytes(s.memoryTotalBytes)} in use${pct(s.memoryUsedBytes, s.memoryTotalBytes)}, ${formatBytes(s.memoryAvailableBytes)} available`],
    ['Swap', s.swapTotalBytes > 0 ? `${formatBytes(s.swapUsedBytes)} of ${formatBytes(s.swapTotalBytes)}${pct(s.swapUsedBytes, s.swapTotalBytes)}` : 'none'],
    ['Load', s.load.map((l) => l.toFixed(2)).join(' · ')],
  ]);
}

export function formatHostInfo(h: HostInfo): string {
  const accel =
    h.accelerator.kind === 'kvm' ? 'KVM' : h.accelerator.kind === 'tcg' ? 'TCG (warning: software emulation)' : 'none';
  const rows: [string, string][] = [
    ['Host', `${h.hostname} — ${h.os.name}, kernel ${h.kernel} (${h.arch})`],
    ['CPU / memory', `${h.cpus} CPUs, ${formatBytes(h.memoryBytes)}`],
    ['Accelerator', `${accel}: ${h.accelerator.reason}`],
    ['Cgroups', `${h.cgroup.layout} — ${h.cgroup.detail}`],
    ['Wayland', `${h.wayland.session ? 'yes' : 'no'} — ${h.wayland.detail}`],
    ['Privileges', h.root ? 'root' : 'unprivileged (host changes will ask for root)'],
    ['Nova', `${h.nova.version}, data in ${h.nova.paths.data}`],
  ];
  const facts = details(rows);
  const tools = table(h.tools, [
    { header: 'TOOL', get: (t) => t.name },
    { header: 'VERSION', get: (t) => (t.found ? (t.version ?? '?') : 'missing') },
    { header: 'FOR', get: (t) => t.purpose },
    { header: 'INSTALL (debian / arch)', get: (t) => (t.found ? '' : `${t.package.debian} / ${t.package.arch}`) },
  ]);
  return `${facts}\n\n${tools}`;
}
