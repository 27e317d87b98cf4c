// Capsule start and snapshot against the raw tools in the same run, plus the supervisor's memory.
// - capsule-start: engine call `capsule.start` (to the process running) vs raw `crun run -d` of the
//   same config on an overlay root (with the hybrid-cgroup workaround when this host needs it),
//   interleaved, median of 20.
// - capsule-cli-start: `nova capsule start` as a cold CLI process (reported; no raw equivalent).
// - capsule-snapshot: `capsule.snapshot.create` vs raw `tar --zstd` of the same upper dir, median of
//   15, interleaved, alternating which goes first.
// - capsule-supervisor-pss/rss: memory of one idle supervisor (native) per running capsule.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { hostCgroups } from '../src/core/capsule/runtime.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = 20;
const SNAPSHOT_RUNS = 15;
const settle = () => new Promise((r) => setTimeout(r, 100));
const rmdirQuiet = (p: string) => {
  try {
    rmdirSync(p);
  } catch {
    /* absent or not ours */
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
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
    const id = `raw-bench-${process.pid}`;
    const crun = ['crun', '--root', rawRoot, 'run', '-d', '--bundle', bundle, id];

    // Interleaved, each start after the previous capsule is gone and a short settle: the kernel's
    // cgroup attach is ~10 ms slower when no attach happened just before, so back-to-back runs
    // of one side and spaced runs of the other would compare different kernels states.
    const nova: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      let t = performance.now();
      await call('capsule.start', { name: 'b' });
      if (i >= 2) nova.push(performance.now() - t); // two warm-up runs
      await call('capsule.stop', { name: 'b', timeout: 0 });
      await settle();
      t = performance.now();
      // The verified recipe (RECIPES.md), as a user would type it.
      const r = hide
        ? spawnSync('unshare', ['-m', '--propagation', 'slave', '--', 'sh', '-c', `umount /sys/fs/cgroup/unified && exec ${crun.join(' ')}`], { stdio: 'ignore' })
        : spawnSync(crun[0]!, crun.slice(1), { stdio: 'ignore' });
      if (i >= 2) raw.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`raw crun failed (exit ${r.status})`);
      spawnSync('crun', ['--root', rawRoot, 'delete', '-f', id]);
      await settle();
    }
    const n = median(nova);
    const b = median(raw);
    results.push(await saveResult({ name: 'capsule-start', metric: 'capsule.start to process running (median of 20)', unit: 'ms', value: n, baseline: b, ratio: n / b, goal: '<= 1.15x raw crun run', met: n / b <= 1.15, notes: 'includes the capsule lock, config.json, and the native supervisor (mount namespace, overlay mount, crun run -d)' }));

    // Cold CLI: a new process per command (bundle when built, else sources via tsx).
    const cli: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'capsule', 'start', 'b'], { env, stdio: 'ignore' });
      cli.push(performance.now() - t);
      // Memory of the idle supervisor, once.
      if (i === 0) {
        const info = await call<{ state: string }>('capsule.inspect', { name: 'b' });
        const sup = Number(readFileSync(join(home, 'data/capsules/b/supervisor.pid'), 'utf8'));
        await new Promise((r) => setTimeout(r, 500));
        const roll = readFileSync(`/proc/${sup}/smaps_rollup`, 'utf8');
        const pss = kb(roll, 'Pss') / 1024;
        const rss = kb(roll, 'Rss') / 1024;
        if (info.state === 'running') {
          results.push(await saveResult({ name: 'capsule-supervisor-pss', metric: 'supervisor memory per running capsule (PSS)', unit: 'MiB', value: pss, baseline: null, ratio: null, goal: '<= 2 MiB', met: pss <= 2 }));
          results.push(await saveResult({ name: 'capsule-supervisor-rss', metric: 'supervisor memory per running capsule (RSS)', unit: 'MiB', value: rss, baseline: null, ratio: null, goal: 'report' }));
        }
      }
      await call('capsule.stop', { name: 'b', timeout: 0 });
    }
    const c = median(cli);
    results.push(await saveResult({ name: 'capsule-cli-start', metric: '`nova capsule start` cold CLI (median of 5)', unit: 'ms', value: c, baseline: b, ratio: c / b, goal: 'report' }));

    // Snapshot: 16 MiB of incompressible data in the upper dir.
    await call('capsule.start', { name: 'b' });
    await call('capsule.exec', { name: 'b', command: ['dd', 'if=/dev/urandom', 'of=/data.bin', 'bs=1M', 'count=16'] });
    const upper = join(home, 'data/capsules/b/overlay/upper');
    const snap: number[] = [];
    const tar: number[] = [];
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
    for (let i = 0; i < SNAPSHOT_RUNS + 1; i++) {
      const pair = i % 2 ? [rawTar(), await novaSnapshot(i)].reverse() : [await novaSnapshot(i), rawTar()];
      if (i > 0) {
        snap.push(pair[0]!);
        tar.push(pair[1]!);
      }
    }
    const s = median(snap);
    const tr = median(tar);
    results.push(await saveResult({ name: 'capsule-snapshot', metric: `snapshot of a 16 MiB upper dir (median of ${SNAPSHOT_RUNS})`, unit: 'ms', value: s, baseline: tr, ratio: s / tr, goal: '<= 1.1x raw tar --zstd', met: s / tr <= 1.1 }));
  } finally {
    await engine.dispatcher.call('capsule.rm', { name: 'b', force: true });
    spawnSync('crun', ['--root', rawRoot, 'delete', '-f', `raw-bench-${process.pid}`]);
    if (rawMount) spawnSync('umount', [rawMount]);
    // `crun delete` outside the private mount namespace leaves the v1 cgroups of the raw runs.
    for (const c of readdirSync('/sys/fs/cgroup')) rmdirQuiet(join('/sys/fs/cgroup', c, 'nova', `raw-bench-${process.pid}`));
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
  return results;
}
