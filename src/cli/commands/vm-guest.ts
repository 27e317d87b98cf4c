// `nova vm exec NAME -- CMD…` / `nova exec vm NAME -- CMD…`: a command in the guest through its
// agent (guest-exec), with the guest's stdout, stderr and exit code. `nova vm ssh NAME [-- CMD…]`:
// the system's OpenSSH client with the key Nova's cloud-init seed injected.
import type { Command } from 'commander';
import { runAttached } from '../attach.js';
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
  vm.command('ssh')
    .argument('<name>')
    .argument('[command...]', 'a command to run instead of a login shell (after --)')
    .option('-l, --user <user>', 'the guest user (default: cloud_init.user)')
    .description('Open an SSH session to a running VM (address from its guest agent or DHCP lease, the key Nova injected with cloud-init)')
    .action(async (name: string, command: string[], o: { user?: string }) => {
      const t = await ctx.call('vm.ssh', { name, ...(o.user ? { user: o.user } : {}), ...(command.length ? { command } : {}) });
      // --json: where and how, without connecting (scripts run the argv themselves).
      if (ctx.opts.json) return ctx.print(t, () => '');
      process.exitCode = await runAttached(t.argv);
    });
}
