// Capsule start and snapshot against the raw tools in the same run, plus the supervisor's memory.
// - capsule-start: engine call `capsule.start` (to the process running) vs raw `crun run -d` of the
//   same config on an overlay root, interleaved (ABBA), median of 20 with the p10–p90 spread. On a
//   hybrid-cgroup host crun must not see the v1 `unified` mount: Nova's supervisor hides it with
//   system calls, so the raw side runs crun with `nsenter` into one long-lived mount namespace
//   where it is already unmounted (one exec, like the supervisor's own), not `unshare`+`sh`+`umount`
//   per start (three extra processes, ~23 ms the raw side would pay and Nova does not).
// - capsule-cli-start: `nova capsule start` as a cold CLI process vs raw `crun run -d` as a cold
//   process (both new processes; Nova's includes Node's start).
// - capsule-snapshot: `capsule.snapshot.create` vs raw `tar --zstd` of the same upper dir, median of
//   15, interleaved, alternating which goes first.
// - capsule-supervisor-pss/rss: memory of one idle supervisor (native) per running capsule.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { hostCgroups } from '../src/core/capsule/runtime.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { interleave, rawRun, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(20);
const SNAPSHOT_RUNS = runsOr(15);
const CLI_RUNS = runsOr(15);
const settle = () => new Promise((r) => setTimeout(r, 100));
const rmdirQuiet = (p: string) => {
  try {
    rmdirSync(p);
  } catch {
    /* absent or not ours */
  }
};
const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-cap-'));
  const env = { ...process.env, NOVA_HOME: home };
  const engine = createEngine({ env, paths: resolvePaths(env) });
  const call = <T>(m: string, i: unknown) => engine.dispatcher.invoke(m, i) as Promise<T>;
  const rootfs = busyboxRootfs(join(home, 'work'));
  const results: BenchResult[] = [];
  const rawRoot = join(home, 'raw-state');
  let rawMount: string | undefined;
  let holder: ChildProcess | undefined;
  try {
    await call('capsule.create', { name: 'b', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
    await call('capsule.start', { name: 'b' }); // writes the bundle the raw runs reuse
    await call('capsule.stop', { name: 'b', timeout: 0 });

    // Raw crun of the same config.json, on the same kind of root: an overlay of the image folder,
    // mounted once beforehand (Nova mounts it on every start: that is part of its cost).
    const cfg = JSON.parse(readFileSync(join(home, 'data/capsules/b/bundle/config.json'), 'utf8')) as { root: { path: string }; linux: { cgroupsPath: string } };
    const bundle = join(home, 'raw-bundle');
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${rootfs},upperdir=${join(bundle, 'upper')},workdir=${join(bundle, 'work')}`, join(bundle, 'rootfs')]);
    rawMount = join(bundle, 'rootfs');
    cfg.root.path = rawMount;
    cfg.linux.cgroupsPath = `/nova/raw-bench-${process.pid}`;
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
    const cg = await hostCgroups();
    const hide = cg.layout === 'hybrid' && cg.unifiedControllers.length > 0;
    if (hide) holder = await cgroupHidingNamespace();
    const id = `raw-bench-${process.pid}`;
    const inNs = (argv: string[]) => (holder ? ['nsenter', '-t', String(holder.pid), '-m', '--', ...argv] : argv);
    const crunRun = inNs(['crun', '--root', rawRoot, 'run', '-d', '--bundle', bundle, id]);
    const crunDelete = inNs(['crun', '--root', rawRoot, 'delete', '-f', id]);

    // Each start after the previous capsule is gone and a short settle: the kernel's cgroup attach
    // is ~10 ms slower when no attach happened just before, so both sides get the same pause.
    const novaStart = async () => {
      const ms = await timed(() => call('capsule.start', { name: 'b' }));
      await call('capsule.stop', { name: 'b', timeout: 0 });
      await settle();
      return ms;
    };
    const rawStart = async () => {
      const ms = await timed(() => rawRun(crunRun, { detaches: true }));
      rawRun(crunDelete);
      await settle();
      return ms;
    };
    const starts = await interleave(novaStart, rawStart, RUNS, 2);
    const n = spreadOf(starts.a);
    const b = spreadOf(starts.b);
    results.push(await saveResult({ name: 'capsule-start', metric: `capsule.start to process running vs raw crun run -d, same config (median of ${RUNS}, interleaved)`, unit: 'ms', value: n.median, baseline: b.median, ratio: n.median / b.median, goal: '<= 1.15x raw crun run', met: n.median / b.median <= 1.15, ...spreadFields(n, b), notes: `includes the capsule lock, config.json, and the native supervisor (mount namespace, overlay mount, crun run -d)${hide ? '; raw crun runs via nsenter into a namespace without the v1 unified mount' : ''}` }));

    // Cold CLI vs cold raw: a new `nova` process (bundle when built, else sources via tsx) against
    // a new `crun run -d` process. Memory of the idle supervisor is read once, after the first.
    let memoryRead = false;
    const cliStart = async () => {
      const ms = await timed(() => rawRun([process.execPath, join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'capsule', 'start', 'b'], { env, detaches: true }));
      if (!memoryRead) {
        memoryRead = true;
        results.push(...(await supervisorMemory(call, home)));
      }
      await call('capsule.stop', { name: 'b', timeout: 0 });
      await settle();
      return ms;
    };
    const cold = await interleave(cliStart, rawStart, CLI_RUNS);
    const c = spreadOf(cold.a);
    const cr = spreadOf(cold.b);
    results.push(await saveResult({ name: 'capsule-cli-start', metric: `cold \`nova capsule start\` process vs cold \`crun run -d\` process (median of ${CLI_RUNS}, interleaved)`, unit: 'ms', value: c.median, baseline: cr.median, ratio: c.median / cr.median, goal: 'report (podman comparison: capsule-cli-vs-podman)', ...spreadFields(c, cr) }));

    // Snapshot: 16 MiB of incompressible data in the upper dir.
    await call('capsule.start', { name: 'b' });
    await call('capsule.exec', { name: 'b', command: ['dd', 'if=/dev/urandom', 'of=/data.bin', 'bs=1M', 'count=16'] });
    const upper = join(home, 'data/capsules/b/overlay/upper');
    const out = join(home, 'raw.tar.zst');
    const novaSnapshot = async (i: number) => {
      const t = performance.now();
      await call('capsule.snapshot.create', { name: 'b', tag: `s${i}` });
      const ms = performance.now() - t;
      await call('capsule.snapshot.rm', { name: 'b', tag: `s${i}` });
      return ms;
    };
    const rawTar = () => {
      const t = performance.now();
      execFileSync('tar', ['--zstd', '--xattrs', '--xattrs-include=trusted.*', '--numeric-owner', '-cpf', out, '-C', upper, '.']);
      const ms = performance.now() - t;
      rmSync(out, { force: true });
      return ms;
    };
    // Alternating which side goes first cancels what one run leaves the next (page cache, freed
    // blocks); the first pair warms up.
    let tag = 0;
    const snaps = await interleave(() => novaSnapshot(tag++), rawTar, SNAPSHOT_RUNS);
    const sn = spreadOf(snaps.a);
    const tz = spreadOf(snaps.b);
    const s = sn.median;
    const tr = tz.median;
    results.push(await saveResult({ name: 'capsule-snapshot', metric: `snapshot of a 16 MiB upper dir vs raw tar --zstd (median of ${SNAPSHOT_RUNS}, interleaved)`, unit: 'ms', value: s, baseline: tr, ratio: s / tr, goal: '<= 1.1x raw tar --zstd', met: s / tr <= 1.1, ...spreadFields(sn, tz) }));
  } finally {
    await engine.dispatcher.call('capsule.rm', { name: 'b', force: true });
    const del = ['crun', '--root', rawRoot, 'delete', '-f', `raw-bench-${process.pid}`];
    if (holder) spawnSync('nsenter', ['-t', String(holder.pid), '-m', '--', ...del]);
    else spawnSync(del[0]!, del.slice(1));
    holder?.kill('SIGKILL');
    if (rawMount) spawnSync('umount', [rawMount]);
    // `crun delete` outside the private mount namespace leaves the v1 cgroups of the raw runs.
    for (const c of readdirSync('/sys/fs/cgroup')) rmdirQuiet(join('/sys/fs/cgroup', c, 'nova', `raw-bench-${process.pid}`));
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
  return results;
}

/** A mount namespace (held by a sleeping child) where the v1 `unified` cgroup mount is gone. */
async function cgroupHidingNamespace(): Promise<ChildProcess> {
  const child = spawn('unshare', ['-m', '--propagation', 'slave', '--', 'sh', '-c', 'umount /sys/fs/cgroup/unified && echo ready && exec sleep infinity'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`could not hide the unified cgroup mount (exit ${code})`)));
  });
  return child;
}

type Call = <T>(m: string, i: unknown) => Promise<T>;

/** PSS/RSS of the idle native supervisor of the running capsule `b`. */
async function supervisorMemory(call: Call, home: string): Promise<BenchResult[]> {
  const info = await call<{ state: string }>('capsule.inspect', { name: 'b' });
  if (info.state !== 'running') return [];
  const sup = Number(readFileSync(join(home, 'data/capsules/b/supervisor.pid'), 'utf8'));
  await new Promise((r) => setTimeout(r, 500));
  const roll = readFileSync(`/proc/${sup}/smaps_rollup`, 'utf8');
  const pss = kb(roll, 'Pss') / 1024;
  const rss = kb(roll, 'Rss') / 1024;
  return [
    await saveResult({ name: 'capsule-supervisor-pss', metric: 'supervisor memory per running capsule (PSS)', unit: 'MiB', value: pss, baseline: null, ratio: null, goal: '<= 2 MiB', met: pss <= 2 }),
    await saveResult({ name: 'capsule-supervisor-rss', metric: 'supervisor memory per running capsule (RSS)', unit: 'MiB', value: rss, baseline: null, ratio: null, goal: 'report' }),
  ];
}
