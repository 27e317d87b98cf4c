// `nova vm exec NAME -- CMD…` / `nova exec vm NAME -- CMD…`: a command in the guest through its
// agent (guest-exec), with the guest's stdout, stderr and exit code.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { writeRawErr, writeRawOut } from '../terminal.js';

export function registerVmExec(ctx: CliContext, vm: Command): void {
  const execInGuest = async (name: string, command: string[], o: { timeout?: string }) => {
    const r = await ctx.call('vm.exec', { name, command, ...(o.timeout ? { timeoutMs: Number(o.timeout) * 1000 } : {}) });
    if (ctx.opts.json) ctx.print(r, () => '');
    else {
      writeRawOut(r.stdout);
      writeRawErr(r.stderr);
    }
    process.exitCode = r.exitCode;
  };
  for (const c of [vm.command('exec'), ctx.group(ctx.verb('exec', 'Run a command in a container'), 'vm', 'Run a command in a VM through its guest agent')]) {
    c.argument('<name>').argument('<command...>', 'command and arguments (after --)').option('--timeout <s>', 'seconds to wait for it (default 60)')
      .description('Run a command in a running VM through its guest agent (stdout, stderr, exit code)').action(execInGuest);
  }
}
