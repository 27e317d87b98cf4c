// `nova vm …` plus the VM side of the shared verbs (`nova stop vm X`, `nova snapshot vm X`,
// `nova logs vm X`, `nova clone vm A B`, `nova migrate vm X --to URI`, `nova wizard vm X`).
import { appendFile, open, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { VmInfo } from '../../shared/contract/vm.js';
import { NovaError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/sizes.js';
import { findNovafile, loadNovafile, readNovafileText } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';
import { details, table } from '../output.js';
import { writeOut } from '../terminal.js';

const when = (s: number) => new Date(s * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');

export function formatVm(v: VmInfo): string {
  const rows: [string, string | undefined][] = [
    ['Name', `${v.name}${v.project ? ` (project ${v.project})` : ''}`],
    ['State', `${v.state}${v.reason ? ` — ${v.reason}` : ''}`],
    ['PID', v.pid ? String(v.pid) : undefined],
    ['Accelerator', `${v.accelerator.kind.toUpperCase()}${v.accelerator.kind === 'tcg' ? ` (warning: ${v.accelerator.reason})` : ''}`],
    ['CPU / memory', `${v.spec.cpu} vCPU, ${formatBytes(v.spec.memory)}${v.spec.balloon ? ' (balloon)' : ''}`],
    ['Firmware', v.uefi ? `UEFI${v.secureBoot ? ' + Secure Boot' : ''}` : 'BIOS'],
    ['TPM', v.tpm ? 'TPM 2.0 (swtpm)' : 'none'],
    ['Disks', v.disks.map((d) => `${d.node}: ${d.path} (${d.format})`).join('\n              ') || 'none'],
    ['Network', v.nic.kind === 'tap' ? `${v.nic.network} (${v.nic.ifname ?? 'tap'})` : v.nic.kind === 'user' ? `user-mode NAT${v.spec.ports.length ? `, ports ${v.spec.ports.join(' ')}` : ''}` : 'none'],
    ['MAC', v.mac],
    ['Console', v.console ? `VNC socket ${v.console.vncSocket} (WebSocket ${v.console.path} on \`nova serve\`)` : undefined],
    ['Serial log', v.serialLog],
    ['UUID', v.uuid],
  ];
  return details(rows);
}

const vmTable = (items: VmInfo[]) =>
  items.length === 0
    ? 'No VMs yet. Declare one in a NovaFile ([vm.NAME]) or run `nova wizard vm NAME --preset win11`.'
    : table(items, [
        { header: 'NAME', get: (v) => v.name },
        { header: 'STATE', get: (v) => v.state },
        { header: 'CPU', get: (v) => v.spec.cpu, align: 'right' },
        { header: 'MEMORY', get: (v) => formatBytes(v.spec.memory) },
        { header: 'ACCEL', get: (v) => v.accelerator.kind },
        { header: 'PROJECT', get: (v) => v.project },
        { header: 'REASON', get: (v) => v.reason },
      ]);

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

export function registerVmCommands(ctx: CliContext): void {
  const vm = ctx.noun('vm', 'Virtual machines (QEMU/KVM; TCG when KVM does not work)');
  const show = (v: VmInfo) => ctx.print(v, formatVm);
  const state = (v: VmInfo) => ctx.print(v, (x) => `${x.name}: ${x.state}${x.reason ? ` — ${x.reason}` : ''}`);

  vm.command('ls').alias('list').description('List VMs with their derived state').option('--project <name>', 'only this NovaFile project')
    .action(async (o: { project?: string }) => {
      const r = await ctx.call('vm.list', o.project ? { project: o.project } : {});
      ctx.print(r, (x) => vmTable(x.items));
    });
  vm.command('inspect <name>').alias('status').description('Spec, state and why, console, disks').action(async (name: string) => show(await ctx.call('vm.inspect', { name })));
  vm.command('create <name>')
    .description('Define a VM from the NovaFile\'s [vm.NAME] section, or from flags')
    .option('--image <path>', 'boot disk image').option('--iso <path>', 'installer ISO').option('--kernel <path>').option('--initrd <path>')
    .option('--cmdline <text>').option('--memory <size>', 'e.g. 4Gi').option('--cpu <n>', 'vCPUs').option('--network <name>', '"user", "none" or a network')
    .option('--preset <name>', 'win11 | gpu-labs | linux')
    .action(async (name: string, o: Record<string, string | undefined>) => {
      const flags = ['image', 'iso', 'kernel', 'initrd', 'cmdline', 'memory', 'network', 'preset'].filter((k) => o[k] !== undefined);
      let spec: Record<string, unknown>;
      let project: string | undefined;
      if (flags.length === 0 && o.cpu === undefined) {
        const nf = await loadNovafile({ ...(ctx.opts.novafile ? { path: ctx.opts.novafile } : {}), cwd: process.cwd() });
        const section = nf.novafile.vm[name];
        if (!section) throw new NovaError('NOT_FOUND', `${nf.file} has no [vm.${name}] section`, { fix: `add one, or pass flags (nova vm create ${name} --image disk.qcow2)` });
        spec = section as unknown as Record<string, unknown>;
        project = nf.novafile.project;
      } else {
        spec = Object.fromEntries(flags.map((k) => [k, o[k]]));
        if (o.cpu !== undefined) spec.cpu = Number(o.cpu);
      }
      show(await ctx.call('vm.create', { name, spec: spec as never, ...(project ? { project } : {}), baseDir: process.cwd() }));
    });

  const power = (verb: string, desc: string, method: 'vm.start' | 'vm.restart' | 'vm.reset' | 'vm.pause' | 'vm.resume' | 'vm.destroy') => {
    const act = async (name: string) => state(await ctx.call(method, { name }));
    vm.command(`${verb} <name>`).description(desc).action(act);
    if (verb !== 'reset' && verb !== 'destroy') ctx.group(ctx.verb(verb, `${desc} (vm|container)`), 'vm', desc).argument('<name>').action(act);
  };
  power('start', 'Start a VM', 'vm.start');
  power('restart', 'Stop (ACPI) and start again', 'vm.restart');
  power('reset', 'Hard reset', 'vm.reset');
  power('pause', 'Freeze the vCPUs', 'vm.pause');
  power('resume', 'Continue a paused VM', 'vm.resume');
  power('destroy', 'Force stop and clear runtime state', 'vm.destroy');
  const stopAction = async (name: string, o: { force?: boolean; timeout?: string }) =>
    state(await ctx.call('vm.stop', { name, force: Boolean(o.force), ...(o.timeout ? { timeoutMs: Number(o.timeout) * 1000 } : {}) }));
  for (const c of [vm.command('stop <name>'), ctx.group(ctx.verb('stop', 'Stop a VM or container'), 'vm', 'Stop a VM').argument('<name>')]) {
    c.description('ACPI power-down, quit after the timeout').option('--force', 'quit at once').option('--timeout <s>', 'seconds to wait for the guest (default 60)').action(stopAction);
  }
  vm.command('rm <name>').alias('delete').description('Stop and remove a VM (disks only with --disks)').option('--disks', 'also delete its disk images')
    .action(async (name: string, o: { disks?: boolean }) => {
      const r = await ctx.call('vm.delete', { name, disks: Boolean(o.disks) });
      ctx.print(r, (x) => `deleted ${x.name}${x.removedDisks.length ? `; removed ${x.removedDisks.join(', ')}` : ''}`);
    });

  const logs = async (name: string, o: { tail?: string; follow?: boolean }) => {
    const r = await ctx.call('vm.logs', { name, tail: o.tail ? Number(o.tail) : 200 });
    ctx.print(r, (x) => x.lines.join('\n'));
    if (o.follow && !ctx.opts.json) await followLog(r.path, await stat(r.path).then((s) => s.size, () => 0));
  };
  for (const c of [vm.command('logs <name>'), ctx.group(ctx.verb('logs', 'Logs of a VM (serial console) or container'), 'vm', 'Serial console of a VM').argument('<name>')]) {
    c.description('Serial console output').option('--tail <n>', 'lines (default 200)').option('--follow', 'keep printing new output').action(logs);
  }
  const consoleCmd = async (name: string) => {
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
  vm.command('console <name>').description('Print where the console is (VNC unix socket, WebSocket path on nova serve)').action(consoleCmd);
  ctx.group(ctx.verb('console', 'Console of a VM'), 'vm', 'Print where the console is (VNC unix socket, WebSocket path on nova serve)').argument('<name>').action(consoleCmd);

  // Snapshots: `nova snapshot vm X [--tag T]`, `nova snapshot ls|restore|rm vm X …`.
  const snap = ctx.verb('snapshot', 'Snapshots of VMs and containers');
  ctx.group(snap, 'vm', 'Snapshot a VM (live: RAM + disks)').argument('<name>').option('--tag <tag>').option('--external', 'new qcow2 overlay instead of an internal snapshot')
    .action(async (name: string, o: { tag?: string; external?: boolean }) => {
      const r = await ctx.call('vm.snapshot.create', { name, ...(o.tag ? { tag: o.tag } : {}), external: Boolean(o.external) });
      ctx.print(r, (x) => `snapshot ${x.tag} of ${x.name} taken in ${Math.round(x.durationMs)} ms${x.overlays ? ` (overlays: ${x.overlays.join(', ')})` : ''}`);
    });
  ctx.group(ctx.group(snap, 'ls', 'List snapshots'), 'vm', 'List VM snapshots').argument('<name>').action(async (name: string) => {
    const r = await ctx.call('vm.snapshot.list', { name });
    ctx.print(r, (x) => (x.snapshots.length === 0 ? `${name} has no snapshots` : table(x.snapshots, [
      { header: 'TAG', get: (s) => s.tag },
      { header: 'DATE', get: (s) => when(s.date) },
      { header: 'RAM STATE', get: (s) => (s.vmStateSize ? formatBytes(s.vmStateSize) : 'disk only') },
      { header: 'DISKS', get: (s) => s.disks.join(',') },
    ])));
  });
  ctx.group(ctx.group(snap, 'restore', 'Revert to a snapshot'), 'vm', 'Revert a VM to a snapshot').arguments('<name> <tag>').action(async (name: string, tag: string) => {
    const r = await ctx.call('vm.snapshot.restore', { name, tag });
    ctx.print(r, (x) => `${x.name} reverted to ${x.tag} in ${Math.round(x.durationMs)} ms`);
  });
  ctx.group(ctx.group(snap, 'rm', 'Delete a snapshot'), 'vm', 'Delete a VM snapshot').arguments('<name> <tag>').action(async (name: string, tag: string) => {
    const r = await ctx.call('vm.snapshot.delete', { name, tag });
    ctx.print(r, (x) => `deleted snapshot ${x.tag} of ${x.name}`);
  });

  const clone = async (source: string, name: string, o: { full?: boolean }) => show(await ctx.call('vm.clone', { source, name, full: Boolean(o.full) }));
  for (const c of [vm.command('clone <source> <name>'), ctx.group(ctx.verb('clone', 'Clone a VM'), 'vm', 'Clone a stopped VM').arguments('<source> <name>')]) {
    c.description('Clone a stopped VM (linked by default)').option('--full', 'full copy instead of a linked clone').action(clone);
  }
  const migrate = async (name: string, o: { to: string }) => {
    const r = await ctx.call('vm.migrate', { name, to: o.to });
    ctx.print(r, (x) => `${x.name} migrated to ${x.to} in ${Math.round(x.totalMs)} ms${x.downtimeMs !== undefined ? ` (downtime ${x.downtimeMs} ms)` : ''}`);
  };
  for (const c of [vm.command('migrate <name>'), ctx.group(ctx.verb('migrate', 'Live-migrate a VM'), 'vm', 'Live-migrate a VM').argument('<name>')]) {
    c.description('Live-migrate a running VM').requiredOption('--to <uri>', 'tcp:HOST:PORT (destination ran `nova vm receive`) or home:/other/NOVA_HOME').action(migrate);
  }
  vm.command('receive <name>').description('Wait for an incoming live migration of the NovaFile\'s [vm.NAME]').requiredOption('--listen <uri>', 'tcp:0.0.0.0:4444')
    .action(async (name: string, o: { listen: string }) => {
      const nf = await loadNovafile({ ...(ctx.opts.novafile ? { path: ctx.opts.novafile } : {}), cwd: process.cwd() });
      const spec = nf.novafile.vm[name];
      if (!spec) throw new NovaError('NOT_FOUND', `${nf.file} has no [vm.${name}] section`);
      state(await ctx.call('vm.receive', { name, spec: spec as never, listen: o.listen, baseDir: process.cwd() }));
    });

  // Paths are the user's, relative to where they typed the command: resolved here, before the call,
  // so the engine (in-process or remote) only ever sees absolute ones.
  const disk = vm.command('disk').description('Disk images (qemu-img)');
  const showDisk = (d: { path: string; format: string; virtualSize: number; actualSize: number; backingFile?: string; snapshots: number }) =>
    `${d.path}: ${d.format}, ${formatBytes(d.virtualSize)} virtual, ${formatBytes(d.actualSize)} on disk${d.backingFile ? `, backed by ${d.backingFile}` : ''}, ${d.snapshots} snapshot(s)`;
  disk.command('create <path>').description('Create a qcow2 or raw disk image').requiredOption('--size <size>').option('--format <f>', 'qcow2 | raw', 'qcow2').option('--backing <path>', 'qcow2 backing file (linked image)')
    .action(async (path: string, o: { size: string; format: 'qcow2' | 'raw'; backing?: string }) => {
      const r = await ctx.call('vm.disk.create', { path: resolve(path), size: o.size, format: o.format, ...(o.backing ? { backing: resolve(o.backing) } : {}) });
      ctx.print(r, showDisk);
    });
  disk.command('import <source> <path>').description('Convert an existing image into a VM disk').option('--format <f>', 'qcow2 | raw', 'qcow2').action(async (source: string, path: string, o: { format: 'qcow2' | 'raw' }) => ctx.print(await ctx.call('vm.disk.import', { source: resolve(source), path: resolve(path), format: o.format }), showDisk));
  disk.command('resize <path> <size>').description('Grow a disk image').action(async (path: string, size: string) => ctx.print(await ctx.call('vm.disk.resize', { path: resolve(path), size }), showDisk));
  disk.command('info <path>').description('Format, size and backing file of a disk image').action(async (path: string) => ctx.print(await ctx.call('vm.disk.info', { path: resolve(path) }), showDisk));

  // `nova wizard vm NAME --preset win11|gpu-labs [--write]`
  ctx.group(ctx.verb('wizard', 'Guided creation from presets'), 'vm', 'Render a VM preset as a NovaFile entry').argument('<name>')
    .requiredOption('--preset <preset>', 'win11 | gpu-labs').option('--memory <size>').option('--cpu <n>').option('--disk-size <size>')
    .option('--iso <path>', 'Windows installer ISO').option('--virtio-win <path>', 'virtio-win drivers ISO').option('--gpu <pci>', 'GPU PCI address (gpu-labs)')
    .option('--network <name>').option('--write', 'append the entry to the NovaFile (created if missing)')
    .action(async (name: string, o: Record<string, string | boolean | undefined>) => {
      const r = await ctx.call('vm.wizard', {
        name, preset: o.preset as 'win11' | 'gpu-labs',
        ...(o.memory ? { memory: o.memory as string } : {}), ...(o.cpu ? { cpu: Number(o.cpu) } : {}), ...(o.diskSize ? { diskSize: o.diskSize as string } : {}),
        ...(o.iso ? { iso: o.iso as string } : {}), ...(o.virtioWin ? { virtioWin: o.virtioWin as string } : {}), ...(o.gpu ? { gpu: o.gpu as string } : {}),
        ...(o.network ? { network: o.network as string } : {}),
      });
      let written: string | undefined;
      if (o.write) {
        let file: string;
        try {
          file = findNovafile(ctx.opts.novafile, process.cwd());
        } catch {
          file = join(process.cwd(), 'NovaFile');
        }
        const text = existsSync(file) ? await readNovafileText(file) : '';
        if (new RegExp(`^\\s*\\[vm\\.${name}\\]`, 'm').test(text)) throw new NovaError('CONFLICT', `${file} already has [vm.${name}]`, { fix: 'pick another name or edit the entry' });
        await appendFile(file, `${text && !text.endsWith('\n') ? '\n' : ''}${text ? '\n' : ''}${r.toml}`);
        written = file;
      }
      ctx.print({ ...r, ...(written ? { written } : {}) }, (x) => `${x.toml}\n${x.guidance.map((g) => `# ${g}`).join('\n')}${written ? `\n\nappended to ${written}` : ''}`);
    });
}
