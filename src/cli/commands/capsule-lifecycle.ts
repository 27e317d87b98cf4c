// Lifecycle verbs and logs, both `nova capsule stop X` and `nova stop container X`.
import type { Command } from 'commander';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import type { CliContext } from '../context.js';
import { writeErr, writeOut } from '../terminal.js';
import { sub } from './capsule-args.js';

const SHORT = { start: 'started', stop: 'stopped', restart: 'restarted' } as const;

export function registerCapsuleLifecycle(ctx: CliContext, noun: Command, show: (c: CapsuleInfo) => void): void {
  const lifecycle = (verb: 'start' | 'stop' | 'restart' | 'pause' | 'resume' | 'kill' | 'rm', description: string) => {
    const attach = (c: Command) => {
      c.argument('<name>').description(description);
      if (verb === 'stop' || verb === 'restart') c.option('-t, --timeout <seconds>', 'grace period before SIGKILL', Number, 10);
      if (verb === 'kill') c.option('-s, --signal <sig>', 'signal to send', 'KILL');
      if (verb === 'rm') c.option('--force', 'stop it first when running');
      c.action(async (name: string, o: { timeout?: number; signal?: string; force?: boolean }) => {
        if (verb === 'rm') return ctx.print(await ctx.call('capsule.rm', { name, force: Boolean(o.force) }), (r) => `removed capsule ${r.name}`);
        const input = { name, ...(o.timeout !== undefined ? { timeout: o.timeout } : {}), ...(o.signal ? { signal: o.signal } : {}) };
        const info = await ctx.call(`capsule.${verb}` as 'capsule.start', input as { name: string });
        // One short line, like docker's name: the native launcher (native/launcher.c) prints the
        // same when a running engine answers, so both paths look alike. --json stays the CapsuleInfo.
        if (verb in SHORT) return ctx.print(info, (c) => `${SHORT[verb as keyof typeof SHORT]} capsule ${c.name}`);
        show(info);
      });
    };
    attach(noun.command(verb));
    attach(sub(ctx.verb(verb, `${description} (vm or container)`), 'container', ['capsule']));
  };
  lifecycle('start', 'Start a capsule');
  lifecycle('stop', 'Stop a capsule: SIGTERM, then SIGKILL after the grace period');
  lifecycle('restart', 'Restart a capsule');
  lifecycle('pause', 'Freeze a capsule');
  lifecycle('resume', 'Thaw a paused capsule');
  lifecycle('kill', 'Send a signal to a capsule');
  lifecycle('rm', 'Delete a capsule with its root overlay, logs and snapshots');
}

export function registerCapsuleLogs(ctx: CliContext, noun: Command): void {
  const logs = (c: Command) =>
    c
      .argument('<name>')
      .description('Captured stdout/stderr with timestamps')
      .option('--follow', 'keep printing new lines until the capsule stops')
      .option('--since <when>', 'only lines newer than a duration ("10m", "2h") or unix ms')
      .option('-n, --tail <lines>', 'only the last N lines', Number)
      .option('--timestamps', 'prefix each line with its time')
      .action(async (name: string, o: { follow?: boolean; since?: string; tail?: number; timestamps?: boolean }) => {
        const since = o.since === undefined ? undefined : /^\d+$/.test(o.since) ? Number(o.since) : o.since;
        let r = await ctx.call('capsule.logs', { name, ...(since !== undefined ? { since } : {}), ...(o.tail ? { tail: o.tail } : {}) });
        const emit = (lines: typeof r.lines) => {
          if (ctx.opts.json) for (const l of lines) process.stdout.write(`${JSON.stringify(l)}\n`);
          else for (const l of lines) (l.stream === 'stderr' ? writeErr : writeOut)(`${o.timestamps ? `${new Date(l.at).toISOString()} ` : ''}${l.line}\n`);
        };
        emit(r.lines);
        while (o.follow && r.running) {
          await new Promise((res) => setTimeout(res, 300));
          r = await ctx.call('capsule.logs', { name, cursor: r.cursor });
          emit(r.lines);
        }
      });
  logs(noun.command('logs'));
  logs(sub(ctx.verb('logs', 'Logs of a vm or container'), 'container', ['capsule']));
}
