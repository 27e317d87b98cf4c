// Rootless capsule start, measured for an ordinary user the bench creates (subordinate ids from
// useradd), whose Nova engine runs under setpriv and is driven over its stdin/stdout:
// - capsule-rootless-start: `capsule.start` (crun) of a capsule with no `network` key, so pasta
//   connects it (a user's default), vs what a user does by hand for the same capsule as the same
//   user: `crun create` of the same config.json plus a network namespace of its own,
//   `pasta --config-net` (Nova's own pasta arguments) on the container's pid, which returns once
//   the network is set up, and `crun start` — one sh script. The user namespace is set up once by
//   hand — util-linux `unshare --map-auto --map-root-user --mount` (newuidmap/newgidmap: 0 = the
//   user, 1… = the subordinate ids), the overlay root mounted inside, and on hybrid cgroup hosts the
//   tmpfs over /sys/fs/cgroup/unified crun needs — and each raw crun enters it with one `nsenter`
//   (Nova's supervisor does the same with system calls, so the raw side pays no extra unshare + sh
//   per start). Interleaved (ABBA), median of 20. Goal <= 1.15x.
// - capsule-rootless-start-no-network: the same with `network = "none"` vs raw `crun run -d` of
//   that capsule's config.json (the runtime gives it an empty netns with loopback), entering the
//   same namespace. Median of 20, interleaved. Goal <= 1.15x.
//   (Before 2026-12-04 the only figure was Nova with pasta vs this raw side without a network.)
// - capsule-rootless-vs-podman: cold against cold, both as the user: a new `nova capsule start`
//   process — the native launcher (out/native/nova) with the user's `nova serve` running, so one
//   call on its local socket — (runc) vs a new rootless `podman run -d` process (runc; podman
//   4.3's crun refuses hybrid cgroups) of the same rootfs, no network on either side (Nova's
//   capsule network = "none", podman --network none; before 2026-12-04 Nova's had pasta), interleaved, median of 15,
//   when podman is installed (not a Nova dependency). Goal <= 0.7x (the performance issue's
//   cold-start goal). capsule-rootless-cli-fallback-vs-podman: the same with no `nova serve`
//   (the launcher execs Node on the full CLI, which builds its own engine). Goal: report.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostCgroups } from '../src/core/capsule/runtime.js';
import { findBinary } from '../src/core/sys/which.js';
import { busyboxRootfs, unmountUnder } from '../src/test/capsule-fixtures.js';
import { pastaArgs } from '../src/core/capsule/pasta.js';
import { startUserEngine } from '../src/test/user-engine.js';
import type { UserEngine } from '../src/test/user-engine.js';
import { createTestUser } from '../src/test/users.js';
import type { HomeUser } from '../src/test/users.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(20);
const PODMAN_RUNS = runsOr(15);
const settle = () => new Promise((r) => setTimeout(r, 100));
/** What a user runs as `nova` (native/launcher.c). */
const LAUNCHER = join(import.meta.dirname, '..', 'out', 'native', 'nova');

interface Mapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** `unshare --map-auto --map-root-user` maps 65535 subordinate ids (Nova maps 65536): fit the spec's nested mapping to it. */
const fitMapping = (m: Mapping[]) => m.filter((e) => e.containerID < 65536).map((e) => ({ ...e, size: Math.min(e.size, 65536 - e.containerID) }));

/**
 * The raw side's user + mount namespace, set up once as the user and held by a sleeping shell:
 * each value a positional parameter of a fixed script.
 */
function rawNamespace(user: HomeUser, env: NodeJS.ProcessEnv, hide: boolean, a: { lower: string; bundle: string }): Promise<ChildProcess> {
  const mnt = join(a.bundle, 'rootfs');
  const opts = `lowerdir=${a.lower},upperdir=${join(a.bundle, 'upper')},workdir=${join(a.bundle, 'work')}`;
  const script = `${hide ? 'mount -t tmpfs none /sys/fs/cgroup/unified && ' : ''}mount -t overlay overlay -o "$1" "$2" && echo ready && exec sleep infinity`;
  const argv = [...user.as, 'unshare', '--map-auto', '--map-root-user', '--mount', '--propagation', 'slave', '--', 'sh', '-c', script, 'sh', opts, mnt];
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`the raw side's user namespace failed (exit ${code})`)));
  });
}

/** The pid of the holder's `sleep` (the shell execs it, so it is the child itself). */
const enter = (user: HomeUser, holder: ChildProcess, argv: string[]) => [...user.as, 'nsenter', '-t', String(holder.pid), '-U', '-m', '--preserve-credentials', '--', ...argv];

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
  const asUser = (argv: string[], extra: NodeJS.ProcessEnv = {}) => {
    const fd = openSync(errFile, 'w');
    try {
      const r = spawnSync(argv[0]!, argv.slice(1), { cwd: home, env: { ...env, ...extra }, stdio: ['ignore', 'ignore', fd] });
      return { status: r.status, stderr: readFileSync(errFile, 'utf8') };
    } finally {
      closeSync(fd);
    }
  };
  const rawRoot = join(home, 'raw-state');
  const rawId = `raw-rl-${process.pid}`;
  const podName = `nova-bench-rl-${process.pid}`;
  let holder: ChildProcess | undefined;
  let serve: ChildProcess | undefined;
  try {
    const rootfs = busyboxRootfs(join(home, 'work'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    engine = await startUserEngine(user, { ...env, NOVA_HOME: home });
    const call = <T>(m: string, i: unknown) => engine!.invoke<T>(m, i);
    await call('capsule.create', { name: 'b', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' } });
    await call('capsule.create', { name: 'n', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun', network: 'none' } });
    for (const name of ['b', 'n']) {
      await call('capsule.start', { name }); // writes the bundle the raw runs reuse
      await call('capsule.stop', { name, timeout: 0 });
    }

    // The same config.json on the same kind of root: an overlay of the rootfs, but mounted by each
    // raw run inside its own namespace, as Nova's supervisor does.
    type Config = { root: { path: string }; linux: { uidMappings: Mapping[]; gidMappings: Mapping[]; namespaces: { type: string; path?: string }[] } };
    const bundle = join(home, 'raw-bundle');
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(bundle, d), { recursive: true });
    const rawConfig = (capsule: string, dir: string, edit: (c: Config) => void = () => undefined) => {
      const cfg = JSON.parse(readFileSync(join(home, `data/capsules/${capsule}/bundle/config.json`), 'utf8')) as Config;
      cfg.root.path = join(bundle, 'rootfs');
      cfg.linux.uidMappings = fitMapping(cfg.linux.uidMappings);
      cfg.linux.gidMappings = fitMapping(cfg.linux.gidMappings);
      edit(cfg);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    };
    // Nova's pasta capsule inherits the netns its supervisor holds; by hand the runtime makes it.
    const netBundle = join(home, 'raw-bundle-net');
    rawConfig('b', netBundle, (c) => {
      if (c.linux.namespaces.some((n) => n.type === 'network')) throw new Error('capsule b has a netns in its config.json: the bench expects it inherited');
      c.linux.namespaces.push({ type: 'network' });
    });
    rawConfig('n', bundle, (c) => {
      if (!c.linux.namespaces.some((n) => n.type === 'network' && !n.path)) throw new Error('capsule n (network = "none") has no new netns in its config.json');
    });
    mkdirSync(rawRoot, { recursive: true });
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, bundle, netBundle, rawRoot]);
    const cg = await hostCgroups();
    holder = await rawNamespace(user, env, cg.layout === 'hybrid' && cg.unifiedControllers.length > 0, { lower: rootfs, bundle });
    const raw = enter(user, holder, ['crun', '--root', rawRoot, 'run', '-d', '--bundle', bundle, rawId]);
    const rawDelete = enter(user, holder, ['crun', '--root', rawRoot, 'delete', '-f', rawId]);
    // By hand with a network: create, pasta on the container's netns (pasta goes to the background
    // once the network is configured, as Nova waits for its pid file), start. pasta joins the held
    // user namespace: the runtime's init is not dumpable, so from the container's own nested
    // namespace pasta could not open its netns.
    const pastaPid = join(netBundle, 'pasta.pid');
    const nsenter = `nsenter -t ${holder.pid} -U -m --preserve-credentials --`;
    const pasta = pastaArgs((await findBinary('pasta'))!, [], join(netBundle, 'pasta.log'));
    const rawNet = [...user.as, 'sh', '-c',
      `set -e; ${nsenter} crun --root "$1" create --bundle "$2" --pid-file "$2/container.pid" "$3"; shift 3; "$@" -P ${pastaPid} --userns /proc/${holder.pid}/ns/user --netns "/proc/$(cat ${netBundle}/container.pid)/ns/net"; ${nsenter} crun --root ${rawRoot} start ${rawId}`,
      'sh', rawRoot, netBundle, rawId, ...pasta];
    const rawNetDelete = [...user.as, 'sh', '-c', `${nsenter} crun --root ${rawRoot} delete -f ${rawId}; test -s ${pastaPid} && kill $(cat ${pastaPid}); rm -f ${pastaPid}; true`];

    const novaStart = (name: string) => async () => {
      const ms = await timed(() => call('capsule.start', { name }));
      await call('capsule.stop', { name, timeout: 0 });
      await settle();
      return ms;
    };
    const rawStart = (argv: string[], del: string[]) => async () => {
      let r: { status: number | null; stderr: string } | undefined;
      const ms = await timed(() => (r = asUser(argv)));
      if (r?.status !== 0) throw new Error(`raw rootless crun failed (exit ${r?.status}): ${r?.stderr.trim()}`);
      asUser(del);
      await settle();
      return ms;
    };
    const cases = [
      { result: 'capsule-rootless-start', nova: 'b', raw: rawNet, del: rawNetDelete,
        metric: 'capsule.start of a pasta capsule in a user\'s engine vs raw rootless crun create + pasta --config-net on its netns + crun start of the same config.json as the same user' },
      { result: 'capsule-rootless-start-no-network', nova: 'n', raw, del: rawDelete,
        metric: 'capsule.start of a network = "none" capsule in a user\'s engine vs raw rootless crun run -d of the same config.json (empty netns) as the same user' },
    ];
    for (const c of cases) {
      const starts = await interleave(novaStart(c.nova), rawStart(c.raw, c.del), RUNS, 2);
      const ns = spreadOf(starts.a);
      const rs = spreadOf(starts.b);
      const n = ns.median;
      const b = rs.median;
      results.push(await saveResult({ name: c.result, metric: `${c.metric} (median of ${RUNS}, interleaved)`, unit: 'ms', value: n, baseline: b, ratio: n / b, goal: '<= 1.15x', met: n / b <= 1.15, ...spreadFields(ns, rs) }));
    }
    if (await findBinary('podman')) {
      // No network on either side: podman runs --network none (its default, slirp4netns, is not
      // installed here), so Nova's capsule has network = "none" too (pasta is measured above).
      await call('capsule.create', { name: 'r', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'runc', network: 'none' } });
      // --ulimit: podman's default nofile/nproc exceed this machine's hard limits; --rootfs X:O is an
      // overlay over the folder, like a capsule's root.
      const podman = [...user.as, 'podman', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', 'run', '-d', '--rm', '--name', podName, '--network', 'none',
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rootfs', `${rootfs}:O`, 'sleep', '1000'];
      const podmanRm = [...user.as, 'podman', 'rm', '-f', '-t', '0', podName];
      if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: npm run build (or npm run build:native) first`);
      const novaCli = [...user.as, LAUNCHER, 'capsule', 'start', 'r'];
      const coldNova = (extra: NodeJS.ProcessEnv) => async () => {
        let c: { status: number | null; stderr: string } | undefined;
        const ms = await timed(() => (c = asUser(novaCli, { NOVA_HOME: home, ...extra })));
        if (c?.status !== 0) throw new Error(`nova capsule start as the user failed: ${c?.stderr.trim()}`);
        await call('capsule.stop', { name: 'r', timeout: 0 });
        await settle();
        return ms;
      };
      const coldPodman = async () => {
        let r: { status: number | null; stderr: string } | undefined;
        const ms = await timed(() => (r = asUser(podman)));
        if (r?.status !== 0) throw new Error(`rootless podman run failed: ${r?.stderr.trim()}`);
        asUser(podmanRm);
        await settle();
        return ms;
      };
      const fallback = await interleave(coldNova({}), coldPodman, PODMAN_RUNS);
      const fn = spreadOf(fallback.a);
      const fp = spreadOf(fallback.b);
      serve = spawn(user.as[0]!, [...user.as.slice(1), LAUNCHER, 'serve', '--port', '0'], { cwd: home, env: { ...env, NOVA_HOME: home }, stdio: 'ignore' });
      for (let i = 0; !existsSync(join(home, 'run', 'api.token')); i++) {
        if (i > 600 || serve.exitCode !== null) throw new Error('the user\'s nova serve did not open its local socket');
        await new Promise((r) => setTimeout(r, 50));
      }
      // NOVA_NODE=/bin/false: a launcher that fell back to Node would fail the bench, not slow it.
      const cold = await interleave(coldNova({ NOVA_NODE: '/bin/false' }), coldPodman, PODMAN_RUNS);
      const cn = spreadOf(cold.a);
      const cp = spreadOf(cold.b);
      const p = cp.median;
      const nr = cn.median;
      const version = execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();
      results.push(await saveResult({ name: 'capsule-rootless-vs-podman', metric: `cold \`nova capsule start\` (native launcher, the user's \`nova serve\` running; runc) vs cold rootless podman run -d (runc), both as the user, no network on either side, median of ${PODMAN_RUNS}`, unit: 'ms', value: nr, baseline: p, ratio: nr / p, goal: '<= 0.7x cold podman run -d', met: nr / p <= 0.7, ...spreadFields(cn, cp), notes: version }));
      results.push(await saveResult({ name: 'capsule-rootless-cli-fallback-vs-podman', metric: `cold \`nova capsule start\` with no \`nova serve\` (the launcher execs Node on the full CLI; runc) vs cold rootless podman run -d (runc), both as the user, median of ${PODMAN_RUNS}`, unit: 'ms', value: fn.median, baseline: fp.median, ratio: fn.median / fp.median, goal: 'report', ...spreadFields(fn, fp), notes: version }));
    } else {
      process.stderr.write('  podman is not installed (apt-get install podman): no rootless podman comparison\n');
    }
  } finally {
    if (serve && serve.exitCode === null) {
      const gone = new Promise((r) => serve!.once('exit', r));
      serve.kill('SIGTERM');
      await gone;
    }
    if (engine) {
      for (const name of ['b', 'n', 'r']) await engine.invoke('capsule.rm', { name, force: true }).catch(() => undefined);
      await engine.close();
    }
    asUser([...user.as, 'podman', 'rm', '-f', '-t', '0', podName]);
    asUser([...user.as, 'unshare', '--map-auto', '--map-root-user', '--', 'crun', '--root', rawRoot, 'delete', '-f', rawId]);
    holder?.kill('SIGKILL');
    user.remove(); // also ends podman's rootless pause process
    for (const d of [`podman-run-${user.uid}`, `containers-user-${user.uid}`, `tsx-${user.uid}`]) rmSync(join('/tmp', d), { recursive: true, force: true });
    unmountUnder(home);
    rmSync(home, { recursive: true, force: true });
  }
  return results;
}
