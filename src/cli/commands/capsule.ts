import type { Command } from 'commander';
import { text } from 'node:stream/consumers';
import { isatty } from 'node:tty';
import { resolve } from 'node:path';
import type { CapsuleInfo, ImageInfo } from '../../shared/contract/capsule.js';
import { NovaError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { details, table, UsageError } from '../output.js';
import { writeErr, writeOut } from '../terminal.js';
import { runAttached } from '../attach.js';

// `nova capsule …` (alias `container`), `nova image …`, and the shared verb-first forms
// `nova start|stop|restart|pause|resume|rm|logs|exec|snapshot container NAME`.

type ExecOpts = { env?: string[]; workdir?: string; user?: string; interactive?: boolean; tty?: boolean };
const collect = (v: string, prev: string[] = []) => [...prev, v];
const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 86400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
};

function stateText(c: CapsuleInfo): string {
  if (c.state === 'running' && c.startedAt) return `running (${ago(c.startedAt)})`;
  if ((c.state === 'exited' || c.state === 'crashed') && c.exit) return `${c.state} (${c.exit.signal ?? c.exit.code}${c.exit.oomKilled ? ', OOM' : ''}) ${ago(c.exit.at)} ago`;
  return c.state;
}

const capsuleTable = (items: CapsuleInfo[]) =>
  items.length === 0
    ? 'No capsules. Create one: nova capsule run NAME --image busybox -- sleep 1d'
    : table(items, [
        { header: 'NAME', get: (c) => c.name },
        { header: 'STATE', get: stateText },
        { header: 'IMAGE', get: (c) => c.image.ref.replace(/^docker\.io\/(library\/)?/, '') },
        { header: 'RUNTIME', get: (c) => c.runtime },
        { header: 'PROJECT', get: (c) => c.project },
        { header: 'NETWORK', get: (c) => (c.network ? `${c.network.name}${c.network.ip ? ` ${c.network.ip}` : ''}` : undefined) },
      ]);

function capsuleDetail(c: CapsuleInfo): string {
  const rows: [string, string | undefined][] = [
    ['Name', `${c.name} (${c.id})`],
    ['State', `${stateText(c)}${c.reason ? ` — ${c.reason}` : ''}`],
    ['Image', `${c.image.ref}${c.image.digest ? ` ${c.image.digest.slice(0, 19)}` : ''}`],
    ['Runtime', c.runtime],
    ['PID', c.pid?.toString()],
    ['Command', c.spec.command === undefined ? '(image default)' : [c.spec.command].flat().join(' ')],
    ['Env', Object.keys(c.spec.env).join(', ') || undefined],
    ['Volumes', c.spec.volumes.join(', ') || undefined],
    ['Limits', Object.entries(c.spec.limits).map(([k, v]) => `${k}=${k === 'memory' ? formatBytes(v as number) : JSON.stringify(v)}`).join(' ') || undefined],
    ['Network', c.network ? `${c.network.name} ${c.network.ip ?? ''}` : (c.spec.network ?? 'default (pasta for a user\'s capsule, loopback only for root\'s)')],
    ['Restart', `${c.spec.restart}${c.restarts ? ` (${c.restarts} restarts)` : ''}`],
    ['Project', c.project],
  ];
  return details(rows);
}

const imageTable = (items: ImageInfo[]) =>
  items.length === 0
    ? 'No images. Pull one: nova image pull busybox'
    : table(items, [
        { header: 'IMAGE', get: (i) => i.ref },
        { header: 'DIGEST', get: (i) => i.digest.slice(7, 19) },
        { header: 'SIZE', get: (i) => formatBytes(i.sizeBytes), align: 'right' },
        { header: 'LAYERS', get: (i) => i.layers, align: 'right' },
        { header: 'SOURCE', get: (i) => i.source },
        { header: 'USED BY', get: (i) => i.usedBy.join(', ') || undefined },
      ]);

function parseEnv(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new NovaError('INVALID_INPUT', `--env "${p.split('=')[0]}": write KEY=VALUE`);
    env[p.slice(0, i)] = p.slice(i + 1);
  }
  return env;
}

/** A sub-command shared with other areas (e.g. `vm` next to `container` under `stop`). */
function sub(parent: Command, name: string, aliases: string[] = []): Command {
  const c = parent.command(name);
  for (const a of aliases) if (!parent.commands.some((x) => x !== c && (x.name() === a || x.aliases().includes(a)))) c.alias(a);
  return c;
}

export function registerCapsuleCommands(ctx: CliContext): void {
  const noun = ctx.noun('capsule', 'Capsules: OCI containers on crun/runc', ['container']);
  const show = (c: CapsuleInfo) => ctx.print(c, capsuleDetail);

  noun
    .command('ls')
    .alias('list')
    .description('List capsules')
    .option('--project <name>', 'only this NovaFile project')
    .action(async (o: { project?: string }) => ctx.print(await ctx.call('capsule.list', { project: o.project }), (v) => capsuleTable(v.items)));

  const createOpts = (c: Command) =>
    c
      .requiredOption('-i, --image <ref>', 'image ("busybox", "ubuntu:22.04") or a rootfs folder ("./rootfs")')
      .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable; values are secrets)', collect)
      .option('-v, --volume <src:dst[:ro]>', 'bind mount, relative to the current folder (repeatable)', collect)
      .option('--network <name>', 'attach to a Nova network; `none` for loopback only (default: pasta for a user\'s capsule, outbound and -p ports; loopback only for root\'s)')
      .option('-p, --publish <[addr:]host:port>', 'publish a capsule port on the host, e.g. 8080:80 (loopback) or 0.0.0.0:8080:80 (repeatable)', collect)
      .option('--hostname <name>', 'hostname (default: the capsule name)')
      .option('--workdir <dir>', 'working directory')
      .option('--user <uid[:gid]>', 'user to run as')
      .option('--memory <size>', 'memory limit, e.g. 256Mi')
      .option('--cpu <n>', 'CPU limit in CPUs, e.g. 0.5', Number)
      .option('--pids <n>', 'process limit', Number)
      .option('--read-only', 'read-only root filesystem')
      .option('--restart <policy>', 'no, on-failure or always', 'no')
      .option('--runtime <name>', 'auto, crun or runc', 'auto')
      .argument('<name>')
      .argument('[command...]', 'command (after --); default: the image\'s');

  type CreateOpts = { image: string; env?: string[]; volume?: string[]; publish?: string[]; network?: string; hostname?: string; workdir?: string; user?: string; memory?: string; cpu?: number; pids?: number; readOnly?: boolean; restart: string; runtime: string };
  const createInput = (name: string, command: string[], o: CreateOpts, start: boolean) => ({
    name,
    start,
    baseDir: process.cwd(),
    spec: {
      capsule: o.image,
      ...(command.length ? { command } : {}),
      env: parseEnv(o.env),
      volumes: o.volume ?? [],
      ports: o.publish ?? [],
      ...(o.network ? { network: o.network } : {}),
      ...(o.hostname ? { hostname: o.hostname } : {}),
      ...(o.workdir ? { workdir: o.workdir } : {}),
      ...(o.user ? { user: o.user } : {}),
      read_only: Boolean(o.readOnly),
      restart: o.restart as 'no',
      runtime: o.runtime as 'auto',
      limits: { ...(o.memory ? { memory: o.memory } : {}), ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.pids ? { pids: o.pids } : {}) },
    },
  });
  createOpts(noun.command('create').description('Create a capsule (pulls the image when missing)')).action(async (name: string, command: string[], o: CreateOpts) =>
    show(await ctx.call('capsule.create', createInput(name, command, o, false))),
  );
  createOpts(noun.command('run').description('Create and start a capsule')).action(async (name: string, command: string[], o: CreateOpts) =>
    show(await ctx.call('capsule.create', createInput(name, command, o, true))),
  );

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

  // Lifecycle verbs, both `nova capsule stop X` and `nova stop container X`.
  const lifecycle = (verb: 'start' | 'stop' | 'restart' | 'pause' | 'resume' | 'kill' | 'rm', description: string) => {
    const attach = (c: Command) => {
      c.argument('<name>').description(description);
      if (verb === 'stop' || verb === 'restart') c.option('-t, --timeout <seconds>', 'grace period before SIGKILL', Number, 10);
      if (verb === 'kill') c.option('-s, --signal <sig>', 'signal to send', 'KILL');
      if (verb === 'rm') c.option('--force', 'stop it first when running');
      c.action(async (name: string, o: { timeout?: number; signal?: string; force?: boolean }) => {
        if (verb === 'rm') return ctx.print(await ctx.call('capsule.rm', { name, force: Boolean(o.force) }), (r) => `removed capsule ${r.name}`);
        const input = { name, ...(o.timeout !== undefined ? { timeout: o.timeout } : {}), ...(o.signal ? { signal: o.signal } : {}) };
        show(await ctx.call(`capsule.${verb}` as 'capsule.start', input as { name: string }));
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

  const snapTable = (items: { tag: string; createdAt: number; sizeBytes: number }[]) =>
    items.length === 0 ? 'No snapshots.' : table(items, [
      { header: 'TAG', get: (s) => s.tag },
      { header: 'CREATED', get: (s) => new Date(s.createdAt).toISOString() },
      { header: 'SIZE', get: (s) => formatBytes(s.sizeBytes), align: 'right' },
    ]);
  // `nova snapshot container X [--tag T | --list | --restore T | --rm T]` and `nova capsule snapshot …`.
  const snapshot = (c: Command) =>
    c
      .argument('<name>')
      .description('Snapshot a capsule\'s writable layer (or list, restore, remove snapshots)')
      .option('--tag <tag>', 'name of the new snapshot (default: the time)')
      .option('--list', 'list snapshots')
      .option('--restore <tag>', 'roll back to a snapshot (restarts a running capsule)')
      .option('--rm <tag>', 'delete a snapshot')
      .action(async (name: string, o: { tag?: string; list?: boolean; restore?: string; rm?: string }) => {
        if (o.list) return ctx.print(await ctx.call('capsule.snapshot.list', { name }), (v) => snapTable(v.items));
        if (o.restore) return show(await ctx.call('capsule.snapshot.restore', { name, tag: o.restore }));
        if (o.rm) return ctx.print(await ctx.call('capsule.snapshot.rm', { name, tag: o.rm }), (r) => `removed snapshot ${r.tag} of ${r.capsule}`);
        ctx.print(await ctx.call('capsule.snapshot.create', { name, ...(o.tag ? { tag: o.tag } : {}) }), (s) => `snapshot ${s.tag} of ${s.capsule}: ${formatBytes(s.sizeBytes)}`);
      });
  snapshot(noun.command('snapshot'));
  snapshot(sub(ctx.verb('snapshot', 'Snapshots of a vm or container'), 'container', ['capsule']));
  // `nova snapshot ls|restore|rm container X …`: the same forms VMs use.
  const snapGroup = (verb: string, description: string) => sub(ctx.group(ctx.verb('snapshot', ''), verb, description), 'container', ['capsule']);
  snapGroup('ls', 'List snapshots').argument('<name>').description('List capsule snapshots')
    .action(async (name: string) => ctx.print(await ctx.call('capsule.snapshot.list', { name }), (v) => snapTable(v.items)));
  snapGroup('restore', 'Revert to a snapshot').arguments('<name> <tag>').description('Roll a capsule back to a snapshot (restarts it if running)')
    .action(async (name: string, tag: string) => show(await ctx.call('capsule.snapshot.restore', { name, tag })));
  snapGroup('rm', 'Delete a snapshot').arguments('<name> <tag>').description('Delete a capsule snapshot')
    .action(async (name: string, tag: string) => ctx.print(await ctx.call('capsule.snapshot.rm', { name, tag }), (r) => `removed snapshot ${r.tag} of ${r.capsule}`));

  const image = ctx.noun('image', 'Capsule images: pull, import, list, remove', ['images']);
  image.command('ls').alias('list').description('Images in the local store').action(async () => ctx.print(await ctx.call('image.list', {}), (v) => imageTable(v.items)));
  image
    .command('pull')
    .argument('<ref>')
    .description('Pull an image (default registry: NOVA_REGISTRY or docker.io)')
    .option('--insecure', 'plain HTTP / no TLS verification for this registry')
    .action(async (ref: string, o: { insecure?: boolean }) => {
      const off = ctx.opts.json ? undefined : ctx.engine.bus.on('task.progress', (t) => t.message && writeErr(`${t.message}\n`));
      try {
        ctx.print(await ctx.call('image.pull', { ref, ...(o.insecure ? { insecure: true } : {}) }), (i) => `pulled ${i.ref} ${i.digest.slice(0, 19)} (${formatBytes(i.sizeBytes)})`);
      } finally {
        off?.();
      }
    });
  image
    .command('import')
    .argument('<source>', 'rootfs folder or tarball')
    .requiredOption('--name <ref>', 'image name, e.g. "local/tools:1"')
    .option('--cmd <arg>', 'default command (repeatable, one argument each)', collect)
    .description('Import a root filesystem as an image')
    .action(async (source: string, o: { name: string; cmd?: string[] }) =>
      ctx.print(await ctx.call('image.import', { source: resolve(source), name: o.name, baseDir: process.cwd(), ...(o.cmd ? { cmd: o.cmd } : {}) }), (i) => `imported ${i.ref} ${i.digest.slice(0, 19)}`),
    );
  image.command('inspect').argument('<ref>').description('One image').action(async (ref: string) => ctx.print(await ctx.call('image.inspect', { ref }), (i) => imageTable([i])));
  image
    .command('rm')
    .argument('<ref>')
    .option('--force', 'remove even when capsules use it')
    .description('Remove an image')
    .action(async (ref: string, o: { force?: boolean }) => ctx.print(await ctx.call('image.rm', { ref, force: Boolean(o.force) }), (r) => `removed ${r.ref}`));
}
