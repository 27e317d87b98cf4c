import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { formatBytes } from '../../shared/sizes.js';

export function registerSupportCommands(ctx: CliContext): void {
  const support = ctx.noun('support', 'Readiness checks and bug-report bundles');

  support
    .command('preflight')
    .description('Is this host ready? KVM (tried), IOMMU, VFIO, hugepages, QEMU, OVMF, runtimes, networking, Wayland')
    .option('--distro <name>', 'remedies for debian or arch (default: both)')
    .action(async (o: { distro?: string }) => {
      const r = await ctx.call('support.preflight', {});
      ctx.print(r, (v) => {
        const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
        const t = table(v.checks, [
          { header: '', get: (c) => mark[c.status] },
          { header: 'CHECK', get: (c) => c.title },
          { header: 'STATUS', get: (c) => c.status },
          { header: 'DETAIL', get: (c) => c.detail },
        ]);
        const fixes = v.checks
          .filter((c) => c.status !== 'ok' && c.remedy)
          .map((c) => {
            const lines = [`${c.title}:`];
            if (o.distro !== 'arch') lines.push(`  Debian: ${c.remedy!.debian}`);
            if (o.distro !== 'debian') lines.push(`  Arch:   ${c.remedy!.arch}`);
            return lines.join('\n');
          });
        const summary = `${v.counts.ok} ok, ${v.counts.warn} warning(s), ${v.counts.fail} failure(s)`;
        return `${t}\n\n${summary}${fixes.length ? `\n\nWhat to do:\n${fixes.join('\n')}` : ''}`;
      });
      if (!r.ok) process.exitCode = 1;
    });

  support
    .command('bundle')
    .description('Gather host info, preflight, GPUs, logs, NovaFiles and state into a tar.gz for a bug report (secrets never included)')
    .option('--redact', 'also mask hostnames, serials, MAC addresses, public IPs and user names')
    .option('-o, --output <file>', 'where to write it (default: ./nova-support-<time>.tar.gz)')
    .option('--dir', 'write a folder instead of a tar.gz')
    .action(async (o: { redact?: boolean; output?: string; dir?: boolean }) => {
      const r = await ctx.call('support.bundle', {
        redact: Boolean(o.redact),
        format: o.dir ? 'dir' : 'tar.gz',
        cwd: process.cwd(),
        ...(o.output ? { output: o.output } : {}),
        ...(ctx.opts.novafile ? { novafile: ctx.opts.novafile } : {}),
      });
      ctx.print(r, (v) => `Wrote ${v.path} (${formatBytes(v.bytes)}, ${v.files.length} files${v.redacted ? ', redacted' : ''}; ${v.secretsScrubbed} secret value(s) scrubbed)`);
    });
}
