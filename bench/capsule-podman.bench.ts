// Capsule start against podman's, when podman is installed (Debian has it; it is not a Nova
// dependency). Podman 4.3's crun fails on hybrid cgroup hosts ("cgroups in hybrid mode not
// supported"), which Nova works around; so both sides use runc here, with the same
// overlay-on-rootfs, no network, and interleaved runs (ABBA). Each figure compares the same kind
// of process:
// - capsule-cli-vs-podman (cold vs cold): a new `nova capsule start` process — the native
//   launcher a user runs (out/native/nova), with a `nova serve` of the same user running, so it
//   is one JSON-RPC call on the engine's local socket — vs a new `podman run -d` process. Goal
//   from the performance issue: <= 0.7x.
// - capsule-cli-fallback-vs-podman: the same launcher with no `nova serve` running: it execs Node
//   on the full CLI, which builds its own engine (the path before the launcher). Goal: report.
// - capsule-api-vs-podman (warm vs warm): `capsule.start` of a created capsule sent to a running
//   `nova serve` over its WebSocket vs `POST /libpod/containers/NAME/start` of a created container
//   sent to a running `podman system service` over its socket. Goal: report.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { findBinary } from '../src/core/sys/which.js';
import { connectNode } from '../src/server/client.js';
import { startServer } from '../src/server/server.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { interleave, rawRun, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(15);
const settle = () => new Promise((r) => setTimeout(r, 100));
const GLOBAL = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];
/** What a user runs as `nova` (native/launcher.c). */
const LAUNCHER = join(import.meta.dirname, '..', 'out', 'native', 'nova');

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
  const podmanCreate = (verb: 'run' | 'create') => [...GLOBAL, verb, ...(verb === 'run' ? ['-d', '--rm'] : []), '--name', name, '--network', 'none',
    '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--rootfs', `${rootfs}:O`, 'sleep', '1000'];
  const podmanRm = () => spawnSync('podman', [...GLOBAL, 'rm', '-f', '-t', '0', name], { stdio: 'ignore' });
  let service: ChildProcess | undefined;
  let serve: ChildProcess | undefined;
  const stopServe = async () => {
    if (!serve || serve.exitCode !== null) return;
    const gone = new Promise((r) => serve!.once('exit', r));
    serve.kill('SIGTERM');
    await gone;
  };
  try {
    await call('capsule.create', { name: 'p', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'runc' } });
    const version = execFileSync('podman', ['--version'], { encoding: 'utf8' }).trim();

    // Cold vs cold: the launcher a user runs, first without a `nova serve` (it execs Node on the
    // full CLI), then with one of the same user running (one call on its local socket).
    if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: npm run build (or npm run build:native) first`);
    const novaCli = (e: NodeJS.ProcessEnv) => async () => {
      const ms = await timed(() => rawRun([LAUNCHER, 'capsule', 'start', 'p'], { env: e, detaches: true }));
      await call('capsule.stop', { name: 'p', timeout: 0 });
      await settle();
      return ms;
    };
    const podmanCli = async () => {
      const ms = await timed(() => rawRun(['podman', ...podmanCreate('run')], { detaches: true }));
      podmanRm();
      await settle();
      return ms;
    };
    const fallback = await interleave(novaCli(env), podmanCli, RUNS);
    const f = spreadOf(fallback.a);
    const fp = spreadOf(fallback.b);
    serve = spawn(LAUNCHER, ['serve', '--port', '0'], { env, stdio: 'ignore' });
    for (let i = 0; !existsSync(join(home, 'run', 'api.token')); i++) {
      if (i > 600 || serve.exitCode !== null) throw new Error('nova serve did not open its local socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    // NOVA_NODE=/bin/false: a launcher that fell back to Node would fail the bench, not slow it.
    const cold = await interleave(novaCli({ ...env, NOVA_NODE: '/bin/false' }), podmanCli, RUNS);
    const c = spreadOf(cold.a);
    const p = spreadOf(cold.b);
    await stopServe();

    // Warm vs warm: each tool's own long-running service, reached over its local socket.
    const sock = join(home, 'podman.sock');
    service = spawn('podman', [...GLOBAL, 'system', 'service', '--time=0', `unix://${sock}`], { stdio: 'ignore' });
    for (let i = 0; !existsSync(sock); i++) {
      if (i > 600) throw new Error('podman system service did not open its socket');
      await new Promise((r) => setTimeout(r, 50));
    }
    rawRun(['podman', ...podmanCreate('create')]);
    const server = await startServer({ engine });
    const ws = await connectNode(server.url, server.token);
    try {
      const novaApi = async () => {
        const ms = await timed(() => ws.call('capsule.start', { name: 'p' }));
        await call('capsule.stop', { name: 'p', timeout: 0 });
        await settle();
        return ms;
      };
      const podmanApi = async () => {
        const ms = await timed(() => libpod(sock, `/v4.0.0/libpod/containers/${name}/start`));
        await libpod(sock, `/v4.0.0/libpod/containers/${name}/stop?timeout=0`);
        await settle();
        return ms;
      };
      const warm = await interleave(novaApi, podmanApi, RUNS);
      const w = spreadOf(warm.a);
      const wp = spreadOf(warm.b);
      return [
        await saveResult({ name: 'capsule-cli-vs-podman', metric: `cold \`nova capsule start\` (native launcher, a \`nova serve\` of the same user running; runc) vs cold \`podman run -d\` (runc), median of ${RUNS}, interleaved`, unit: 'ms', value: c.median, baseline: p.median, ratio: c.median / p.median, goal: '<= 0.7x', met: c.median / p.median <= 0.7, ...spreadFields(c, p), notes: version }),
        await saveResult({ name: 'capsule-cli-fallback-vs-podman', metric: `cold \`nova capsule start\` with no \`nova serve\` (the launcher execs Node on the full CLI, in-process engine; runc) vs cold \`podman run -d\` (runc), median of ${RUNS}, interleaved`, unit: 'ms', value: f.median, baseline: fp.median, ratio: f.median / fp.median, goal: 'report', ...spreadFields(f, fp), notes: version }),
        await saveResult({ name: 'capsule-api-vs-podman', metric: `capsule.start over nova serve's WebSocket vs libpod containers/start over podman system service's socket (runc), median of ${RUNS}, interleaved`, unit: 'ms', value: w.median, baseline: wp.median, ratio: w.median / wp.median, goal: 'report', ...spreadFields(w, wp), notes: version }),
      ];
    } finally {
      ws.close();
      await server.close();
    }
  } finally {
    await stopServe();
    podmanRm();
    service?.kill('SIGTERM');
    await engine.dispatcher.call('capsule.rm', { name: 'p', force: true });
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** One POST to the libpod REST API over its unix socket; a non-2xx answer throws. */
function libpod(socketPath: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`libpod ${path}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}
