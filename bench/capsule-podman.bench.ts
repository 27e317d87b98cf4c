// Capsule start against `podman run -d` of the same rootfs, when podman is installed (Debian has
// it; it is not a Nova dependency). Podman 4.3's crun fails on hybrid cgroup hosts ("cgroups in
// hybrid mode not supported"), which Nova works around; so both sides use runc here, with the
// same overlay-on-rootfs, no network, and interleaved runs. Reported, no goal:
// - capsule-vs-podman: engine call `capsule.start` vs `podman run -d` (podman's CLI is its API).
// - capsule-cli-vs-podman: cold `nova capsule start` process vs `podman run -d`.
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { findBinary } from '../src/core/sys/which.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = 8;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const settle = () => new Promise((r) => setTimeout(r, 100));

export async function run(): Promise<BenchResult[]> {
  if (!(await findBinary('podman'))) {
    process.stderr.write('  podman is not installed (apt-get install podman): no podman comparison\n');
    return [];
  }
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-podman-'));
  const env = { ...process.env, NOVA_HOME: home };
  const engine = createEngine({ env, paths: resolvePaths(env) });
  const call = (m: string, i: unknown) => engine.dispatcher.invoke(m, i);
  const rootfs = busyboxRootfs(join(home, 'work'));
  const name = `nova-bench-${process.pid}`;
  // --ulimit: podman's default nofile/nproc exceed this machine's hard limits; --rootfs X:O is an
  // overlay over the folder, like a capsule's root.
  const podman = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs', 'run', '-d', '--rm', '--name', name, '--network', 'none',
    '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rootfs', `${rootfs}:O`, 'sleep', '1000'];
  const nova: number[] = [];
  const cli: number[] = [];
  const pod: number[] = [];
  try {
    await call('capsule.create', { name: 'p', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'runc' } });
    for (let i = 0; i < RUNS + 1; i++) {
      let t = performance.now();
      await call('capsule.start', { name: 'p' });
      if (i > 0) nova.push(performance.now() - t);
      await call('capsule.stop', { name: 'p', timeout: 0 });
      await settle();
      t = performance.now();
      execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'capsule', 'start', 'p'], { env, stdio: 'ignore' });
      if (i > 0) cli.push(performance.now() - t);
      await call('capsule.stop', { name: 'p', timeout: 0 });
      await settle();
      t = performance.now();
      const r = spawnSync('podman', podman, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (i > 0) pod.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`podman run failed: ${r.stderr.trim()}`);
      spawnSync('podman', ['rm', '-f', '-t', '0', name], { stdio: 'ignore' });
      await settle();
    }
    const p = median(pod);
    const n = median(nova);
    const c = median(cli);
    const version = execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();
    return [
      await saveResult({ name: 'capsule-vs-podman', metric: `capsule.start (runc) vs podman run -d (runc), median of ${RUNS}`, unit: 'ms', value: n, baseline: p, ratio: n / p, goal: 'report', notes: version }),
      await saveResult({ name: 'capsule-cli-vs-podman', metric: `cold \`nova capsule start\` (runc) vs podman run -d (runc), median of ${RUNS}`, unit: 'ms', value: c, baseline: p, ratio: c / p, goal: 'report', notes: version }),
    ];
  } finally {
    spawnSync('podman', ['rm', '-f', '-t', '0', name], { stdio: 'ignore' });
    await engine.dispatcher.call('capsule.rm', { name: 'p', force: true });
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
}
