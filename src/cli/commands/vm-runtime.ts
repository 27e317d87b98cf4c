// A VM's power verbs and what a running VM shows: `nova vm start|stop|…`, `nova stop vm X`,
// logs (serial console), console, balloon, stats, screenshot.
import { open, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { writeOut } from '../terminal.js';
import { attachSerial } from '../serial-console.js';
import { STOPPED_BY, vmPrinters } from './vm-format.js';
import { waitForInstallCdPrompts } from './vm-install-cd.js';

async function followLog(path: string, from: number): Promise<void> {
  let offset = from;
  const stop = new Promise<void>((r) => process.once('SIGINT', () => r()));
  let done = false;
  void stop.then(() => (done = true));
  while (!done) {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size > offset) {
      const fh = await open(path, 'r');
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      await fh.close();
      // Guest output: \r dropped as in `vm.logs`, every other control character made visible.
      writeOut(buf.toString('utf8').replace(/\r/g, ''));
      offset = size;
    } else if (size < offset) offset = 0;
    await Promise.race([stop, new Promise((r) => setTimeout(r, 250))]);
  }
}

type PowerMethod = 'vm.start' | 'vm.restart' | 'vm.reset' | 'vm.pause' | 'vm.resume' | 'vm.destroy';

export function registerVmPower(ctx: CliContext, vm: Command): void {
  const { state } = vmPrinters(ctx);
  const power = (verb: string, desc: string, method: PowerMethod) => {
    const act = async (name: string) => {
      state(await ctx.call(method, { name }));
      if (method === 'vm.start') await waitForInstallCdPrompts(ctx, name);
    };
    vm.command(`${verb} <name>`).description(desc).action(act);
    if (verb !== 'reset' && verb !== 'destroy') ctx.group(ctx.verb(verb, `${desc} (vm|container)`), 'vm', desc).argument('<name>').action(act);
  };
  power('start', 'Start a VM', 'vm.start');
  power('restart', 'Stop (ACPI) and start again', 'vm.restart');
  power('reset', 'Hard reset', 'vm.reset');
  power('pause', 'Freeze the vCPUs', 'vm.pause');
  power('resume', 'Continue a paused VM', 'vm.resume');
  power('destroy', 'Force stop and clear runtime state', 'vm.destroy');
  const stopAction = async (name: string, o: { force?: boolean; timeout?: string }) => {
    const r = await ctx.call('vm.stop', { name, force: Boolean(o.force), ...(o.timeout ? { timeoutMs: Number(o.timeout) * 1000 } : {}) });
    ctx.print(r, (x) => `${x.name}: ${x.state}${x.stoppedBy ? ` — ${STOPPED_BY[x.stoppedBy] ?? x.stoppedBy}` : ''}`);
  };
  for (const c of [vm.command('stop <name>'), ctx.group(ctx.verb('stop', 'Stop a VM or container'), 'vm', 'Stop a VM').argument('<name>')]) {
    c.description('Guest agent shutdown (ACPI power-down without an agent), quit after the timeout').option('--force', 'quit at once').option('--timeout <s>', 'seconds to wait for the guest (default 60)').action(stopAction);
  }
  vm.command('rm <name>').alias('delete').description('Stop and remove a VM (disks only with --disks)').option('--disks', 'also delete its disk images')
    .action(async (name: string, o: { disks?: boolean }) => {
      const r = await ctx.call('vm.delete', { name, disks: Boolean(o.disks) });
      ctx.print(r, (x) => `deleted ${x.name}${x.removedDisks.length ? `; removed ${x.removedDisks.join(', ')}` : ''}`);
    });
}

export function registerVmObserve(ctx: CliContext, vm: Command): void {
  const logs = async (name: string, o: { tail?: string; follow?: boolean }) => {
    const r = await ctx.call('vm.logs', { name, tail: o.tail ? Number(o.tail) : 200 });
    ctx.print(r, (x) => x.lines.join('\n'));
    if (o.follow && !ctx.opts.json) await followLog(r.path, await stat(r.path).then((s) => s.size, () => 0));
  };
  for (const c of [vm.command('logs <name>'), ctx.group(ctx.verb('logs', 'Logs of a VM (serial console) or container'), 'vm', 'Serial console of a VM').argument('<name>')]) {
    c.description('Serial console output').option('--tail <n>', 'lines (default 200)').option('--follow', 'keep printing new output').action(logs);
  }
  const consoleCmd = async (name: string, o: { serial?: boolean }) => {
    if (o.serial) {
      process.exitCode = await attachSerial(ctx, name);
      return;
    }
    const r = await ctx.call('vm.console', { name });
    // No TCP port: the socket is in the VM's owner-only runtime folder (`remote-viewer vnc+unix://PATH`);
    // browsers reach it through `nova serve` at the path below, signed in like the API.
    ctx.print(r, (x) => `${x.vncSocket}\n(VNC unix socket, owner only: remote-viewer vnc+unix://${x.vncSocket}; in a browser: the Console tab of \`nova serve\`, WebSocket ${x.path}; serial log ${x.serialLog})`);
  };
  vm.command('balloon <name> [target]').description('Show or set the balloon target (e.g. 2Gi) of a running VM')
    .action(async (name: string, target?: string) => {
      const r = await ctx.call('vm.balloon', { name, ...(target ? { target } : {}) });
      ctx.print(r, (x) => `${x.name}: ${formatBytes(x.actual)} of ${formatBytes(x.memory)} available to the guest`);
    });
  vm.command('stats <name>').description('CPU, memory and disk I/O of a running VM').action(async (name: string) => {
    await ctx.call('vm.stats', { name });
    await new Promise((r) => setTimeout(r, 1000)); // a second sample gives the CPU rate
    const r = await ctx.call('vm.stats', { name });
    ctx.print(r, (x) => `${x.name}: CPU ${x.cpuPercent?.toFixed(1) ?? '?'}% of a core, ${formatBytes(x.memoryBytes)} resident, disk read ${formatBytes(x.ioReadBytes)} / written ${formatBytes(x.ioWriteBytes)}`);
  });
  vm.command('screenshot <name> [path]').description('Save a PNG of the VM display').action(async (name: string, path?: string) => {
    const r = await ctx.call('vm.screenshot', { name, ...(path ? { path } : {}) });
    ctx.print(r, (x) => `${x.path} (${formatBytes(x.bytes)})`);
  });
  for (const c of [vm.command('console <name>'), ctx.group(ctx.verb('console', 'Console of a VM'), 'vm', 'Print where the console is (VNC unix socket, WebSocket path on nova serve)').argument('<name>')]) {
    c.description('Print where the console is (VNC unix socket, WebSocket path on nova serve); --serial attaches the serial console here')
      .option('--serial', 'type into the serial console on this terminal (Ctrl-] leaves)').action(consoleCmd);
  }
}
