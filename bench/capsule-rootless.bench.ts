// Rootless capsule start, measured for an ordinary user the bench creates (subordinate ids from
// useradd), whose Nova engine runs under setpriv and is driven over its stdin/stdout:
// - capsule-rootless-start: `capsule.start` (crun) vs raw rootless `crun run -d` of the same
//   config.json as the same user, with the same user namespace setup typed by hand: util-linux
//   `unshare --map-auto --map-root-user --mount` (newuidmap/newgidmap: 0 = the user, 1… = the
//   subordinate ids), the overlay root mounted inside, and on hybrid cgroup hosts the tmpfs over
//   /sys/fs/cgroup/unified crun needs. Interleaved, median of 20. Goal <= 1.15x.
// - capsule-rootless-vs-podman: `capsule.start` (runc) vs rootless `podman run -d` (runc; podman
//   4.3's crun refuses hybrid cgroups) of the same rootfs, no network, interleaved, median of 8,
//   when podman is installed (not a Nova dependency). Goal <= 0.5x.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCgroups } from '../src/core/capsule/runtime.js';
import { findBinary } from '../src/core/sys/which.js';
import { busyboxRootfs, unmountUnder } from '../src/test/capsule-fixtures.js';
import { startUserEngine } from '../src/test/user-engine.js';
import type { UserEngine } from '../src/test/user-engine.js';
import { createTestUser } from '../src/test/users.js';
import type { HomeUser } from '../src/test/users.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = 20;
const PODMAN_RUNS = 8;
const settle = () => new Promise((r) => setTimeout(r, 100));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Mapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** `unshare --map-auto --map-root-user` maps 65535 subordinate ids (Nova maps 65536): fit the spec's nested mapping to it. */
const fitMapping = (m: Mapping[]) => m.filter((e) => e.containerID < 65536).map((e) => ({ ...e, size: Math.min(e.size, 65536 - e.containerID) }));

/** Raw rootless crun: one argv run as the user, each value a positional parameter of a fixed script. */
function rawRun(user: HomeUser, hide: boolean, a: { lower: string; bundle: string; root: string; id: string }): string[] {
  const mnt = join(a.bundle, 'rootfs');
  const opts = `lowerdir=${a.lower},upperdir=${join(a.bundle, 'upper')},workdir=${join(a.bundle, 'work')}`;
  const script = `${hide ? 'mount -t tmpfs none /sys/fs/cgroup/unified && ' : ''}mount -t overlay overlay -o "$1" "$2" && exec crun --root "$3" run -d --bundle "$4" "$5"`;
  return [...user.as, 'unshare', '--map-auto', '--map-root-user', '--mount', '--propagation', 'slave', '--', 'sh', '-c', script, 'sh', opts, mnt, a.root, a.bundle, a.id];
}

export async function run(): Promise<BenchResult[]> {
  if (process.getuid?.() !== 0 || !(await findBinary('newuidmap'))) {
    process.stderr.write('  needs root (to create the bench user) and newuidmap (uidmap): no rootless bench\n');
    return [];
  }
  const user = createTestUser('nrb');
  const home = mkdtempSync('/tmp/nova-bench-rl-');
  const results: BenchResult[] = [];
  let engine: UserEngine | undefined;
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, USER: user.name, LOGNAME: user.name };
  // stderr to a file: a pipe (a socketpair in libuv) would be inherited by the detached
  // container, and spawnSync would wait for it to close, i.e. for the capsule to end.
  const errFile = join(home, 'raw-stderr');
  const asUser = (argv: string[]) => {
    const fd = openSync(errFile, 'w');
    try {
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd: home, env, stdio: ['ignore', 'ignore', fd] });
      return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
    } finally {
      closeSync(fd);
    }
  };
  const rawRoot = join(home, 'raw-state');
  const rawId = `raw-rl-${process.pid}`;
  const podName = `nova-bench-rl-${process.pid}`;
  try {
    const rootfs = busyboxRootfs(join(home, 'work'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    engine = await startUserEngine(user, { ...env, NOVA_HOME: home });
    const call = <T>(m: string, i: unknown) => engine!.invoke<T>(m, i);
    await call('capsule.create', { name: 'b', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
    await call('capsule.start', { name: 'b' }); // writes the bundle the raw runs reuse
    await call('capsule.stop', { name: 'b', timeout: 0 });

    // The same config.json on the same kind of root: an overlay of the rootfs, but mounted by each
    // raw run inside its own namespace, as Nova's supervisor does.
    const cfg = JSON.parse(readFileSync(join(home, 'data/capsules/b/bundle/config.json'), 'utf8')) as { root: { path: string }; linux: { uidMappings: Mapping[]; gidMappings: Mapping[] } };
    const bundle = join(home, 'raw-bundle');
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
    cfg.root.path = join(bundle, 'rootfs');
    cfg.linux.uidMappings = fitMapping(cfg.linux.uidMappings);
    cfg.linux.gidMappings = fitMapping(cfg.linux.gidMappings);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(cfg));
    mkdirSync(rawRoot, { recursive: true });
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, bundle, rawRoot]);
    const cg = await hostCgroups();
    const raw = rawRun(user, cg.layout === 'hybrid' && cg.unifiedControllers.length > 0, { lower: rootfs, bundle, root: rawRoot, id: rawId });
    const rawDelete = [...user.as, 'unshare', '--map-auto', '--map-root-user', '--', 'crun', '--root', rawRoot, 'delete', '-f', rawId];

    const nova: number[] = [];
    const rawMs: number[] = [];
    for (let i = 0; i < RUNS + 2; i++) {
      let t = performance.now();
      await call('capsule.start', { name: 'b' });
      if (i >= 2) nova.push(performance.now() - t); // two warm-up runs
      await call('capsule.stop', { name: 'b', timeout: 0 });
      await settle();
      t = performance.now();
      const r = asUser(raw);
      if (i >= 2) rawMs.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`raw rootless crun failed (exit ${r.status}): ${r.stderr.trim()}`);
      asUser(rawDelete);
      await settle();
    }
    const n = median(nova);
    const b = median(rawMs);
    results.push(await saveResult({ name: 'capsule-rootless-start', metric: `rootless capsule.start (crun) vs raw rootless crun run -d, median of ${RUNS}`, unit: 'ms', value: n, baseline: b, ratio: n / b, goal: '<= 1.15x raw rootless crun run -d', met: n / b <= 1.15, notes: 'both as the same user: unshare --map-auto --map-root-user --mount (newuidmap/newgidmap), overlay mount, tmpfs over the hybrid host\'s unified cgroup, crun run -d; Nova adds its lock, config.json, the native supervisor and the engine pipe round trip' }));

    if (await findBinary('podman')) {
      await call('capsule.create', { name: 'r', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'runc' } });
      // --ulimit: podman's default nofile/nproc exceed this machine's hard limits; --rootfs X:O is an
      // overlay over the folder, like a capsule's root.
      const podman = [...user.as, 'podman', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', 'run', '-d', '--rm', '--name', podName, '--network', 'none',
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rootfs', `${rootfs}:O`, 'sleep', '1000'];
      const podmanRm = [...user.as, 'podman', 'rm', '-f', '-t', '0', podName];
      const novaR: number[] = [];
      const pod: number[] = [];
      for (let i = 0; i < PODMAN_RUNS + 1; i++) {
        let t = performance.now();
        await call('capsule.start', { name: 'r' });
        if (i > 0) novaR.push(performance.now() - t);
        await call('capsule.stop', { name: 'r', timeout: 0 });
        await settle();
        t = performance.now();
        const r = asUser(podman);
        if (i > 0) pod.push(performance.now() - t);
        if (r.status !== 0) throw new Error(`rootless podman run failed: ${r.stderr.trim()}`);
        asUser(podmanRm);
        await settle();
      }
      const p = median(pod);
      const nr = median(novaR);
      const version = execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();
      results.push(await saveResult({ name: 'capsule-rootless-vs-podman', metric: `rootless capsule.start (runc) vs rootless podman run -d (runc), median of ${PODMAN_RUNS}`, unit: 'ms', value: nr, baseline: p, ratio: nr / p, goal: '<= 0.5x rootless podman run -d', met: nr / p <= 0.5, notes: version }));
    } else {
      process.stderr.write('  podman is not installed (apt-get install podman): no rootless podman comparison\n');
    }
  } finally {
    if (engine) {
      for (const name of ['b', 'r']) await engine.invoke('capsule.rm', { name, force: true }).catch(() => undefined);
      await engine.close();
    }
    asUser([...user.as, 'podman', 'rm', '-f', '-t', '0', podName]);
    asUser([...user.as, 'unshare', '--map-auto', '--map-root-user', '--', 'crun', '--root', rawRoot, 'delete', '-f', rawId]);
    user.remove(); // also ends podman's rootless pause process
    for (const d of [`podman-run-${user.uid}`, `containers-user-${user.uid}`, `tsx-${user.uid}`]) rmSync(join('/tmp', d), { recursive: true, force: true });
    unmountUnder(home);
    rmSync(home, { recursive: true, force: true });
  }
  return results;
}
