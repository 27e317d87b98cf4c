// `nova capsule exec NAME -- CMD` and `nova exec [-it] container NAME -- CMD`.
import type { Command } from 'commander';
import { text } from 'node:stream/consumers';
import { isatty } from 'node:tty';
import type { CliContext } from '../context.js';
import { collect, UsageError } from '../output.js';
import { runAttached } from '../attach.js';
import { parseEnv, sub } from './capsule-args.js';

type ExecOpts = { env?: string[]; workdir?: string; user?: string; interactive?: boolean; tty?: boolean };

export function registerCapsuleExec(ctx: CliContext, noun: Command): void {
  // The options also sit on the `exec` verb, so `nova exec -it -e K=V container web -- sh` reads like podman.
  const execFlags = (c: Command) =>
    c
      .option('-i, --interactive', 'keep stdin attached: stream it to the command')
      .option('-t, --tty', 'give the command a terminal (stdin must be one); Ctrl-C goes to the command')
      .option('-e, --env <KEY=VALUE>', 'extra environment (repeatable)', collect)
      .option('-w, --workdir <dir>', 'working directory')
      .option('-u, --user <uid[:gid]>', 'user');
  const exec = (c: Command) =>
    execFlags(c)
      .argument('<name>')
      .argument('<command...>', 'command and arguments (after --)')
      .description('Run a command inside a running capsule (-it: an interactive shell)')
      .action(async (name: string, command: string[], _o: ExecOpts, cmd: Command) => {
        const o = cmd.optsWithGlobals<ExecOpts>();
        const target = { name, command, env: parseEnv(o.env), ...(o.workdir ? { workdir: o.workdir } : {}), ...(o.user ? { user: o.user } : {}) };
        if (o.tty && ctx.opts.json) throw new UsageError('--tty and --json do not mix: --json captures the output; drop -t (or --json)');
        if (o.tty && !isatty(0)) throw new UsageError('the input device is not a TTY: -t/--tty needs a terminal on stdin; drop -t to pipe input (keep -i)');
        if ((o.interactive || o.tty) && !ctx.opts.json) {
          // The engine checks and builds the argv; the runtime then talks to the terminal itself.
          const { argv } = await ctx.call('capsule.execArgv', { ...target, tty: Boolean(o.tty) });
          process.exitCode = await runAttached(argv);
          return;
        }
        // --json -i: stdin is read to its end and handed over, the output stays captured and redacted.
        const stdin = o.interactive ? await text(process.stdin) : undefined;
        const r = await ctx.call('capsule.exec', { ...target, ...(stdin !== undefined ? { stdin } : {}) });
        if (ctx.opts.json) ctx.print(r, () => '');
        else {
          // The command's own output, byte for byte (like ssh): it may be data piped elsewhere.
          process.stdout.write(r.stdout ? `${r.stdout}\n` : '');
          process.stderr.write(r.stderr ? `${r.stderr}\n` : '');
        }
        process.exitCode = r.exitCode;
      });
  exec(noun.command('exec'));
  exec(sub(execFlags(ctx.verb('exec', 'Run a command in a container')), 'container', ['capsule']));
}
