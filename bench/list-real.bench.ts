// Listing with real items, not a fixture: 10, 50 and 200 created capsules (busybox rootfs, crun)
// and as many created VMs (a qcow2 disk each), then
// - list-real-N-p99: resource.list over `nova serve`'s WebSocket, p50 and p99 of 60 calls
//   (goal from the performance issue: p99 < 50 ms at 200 items, linear in the count);
// - list-cold-N: a cold `nova ls --json` process vs a bare `node -e 0`, interleaved (ABBA)
//   (goal: <= 2x at 200 items);
// - list-cold-socket-N: the same cold `nova ls --json` while this engine serves its local socket
//   (the path a user with the app or `nova serve` running gets), vs `node -e 0`, interleaved
//   (goal: the cold-CLI goal, <= 1.5x). The in-process side runs with NOVA_NO_SOCKET=1.
// Items are created, not started: the state of each is still derived from the host per call.
import { rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { growRealFleet, removeRealFleet } from './real-fleet.js';
import { connectNode } from '../src/server/client.js';
import { startLocalSocket } from '../src/server/local-socket.js';
import { startServer } from '../src/server/server.js';
import { execFile } from 'node:child_process';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { interleave, rawRun, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const STEPS = (process.env.NOVA_BENCH_LIST_STEPS ?? '10,50,200').split(',').map(Number);
const CALLS = runsOr(60);
const COLD = runsOr(15);

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-list-'));
  const env = { ...process.env, NOVA_HOME: home };
  const paths = resolvePaths(env);
  const engine = createEngine({ env, paths });
  const call = (m: string, i: unknown) => engine.dispatcher.invoke(m, i);
  const server = await startServer({ engine });
  const ws = await connectNode(server.url, server.token);
  const local = await startLocalSocket(engine.dispatcher, paths);
  if (!local) throw new Error('the bench home already has a serving engine');
  // Asynchronous: with the socket, the process answering is this one.
  const spawnAsync = (argv: string[], e: NodeJS.ProcessEnv) =>
    new Promise<void>((resolve, reject) => execFile(argv[0]!, argv.slice(1), { env: e }, (err) => (err ? reject(err) : resolve())));
  const rootfs = busyboxRootfs(join(home, 'work'));
  const results: BenchResult[] = [];
  let made = 0;
  try {
    for (const count of STEPS) {
      made = await growRealFleet(call, paths, rootfs, made, count);
      const items = ((await ws.call('resource.list', {})) as unknown[]).length;
      if (items < count) throw new Error(`resource.list returned ${items} items, expected ${count}`);
      for (let i = 0; i < 5; i++) await ws.call('resource.list', {}); // warm up
      const samples: number[] = [];
      for (let i = 0; i < CALLS; i++) samples.push(await timed(() => ws.call('resource.list', {})));
      const p50 = percentile(samples, 50);
      const p99 = percentile(samples, 99);
      results.push(await saveResult({
        name: `list-real-${count}-p99`, metric: `resource.list over WebSocket with ${count} real items (${count / 2} capsules + ${count / 2} VMs, created), p99 of ${CALLS}`, unit: 'ms',
        value: p99, baseline: null, ratio: null, goal: count >= 200 ? '< 50 ms' : 'report (linear in the count)', ...(count >= 200 ? { met: p99 < 50 } : {}), notes: `p50 ${p50.toFixed(1)} ms`,
      }));

      const nova = [process.execPath, join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'ls', '--json'];
      const cold = await interleave(() => timed(() => rawRun(nova, { env: { ...env, NOVA_NO_SOCKET: '1' } })), () => timed(() => rawRun([process.execPath, '-e', '0'])), COLD);
      const a = spreadOf(cold.a);
      const b = spreadOf(cold.b);
      results.push(await saveResult({
        name: `list-cold-${count}`, metric: `cold \`nova ls --json\` with ${count} real items vs bare \`node -e 0\` (median of ${COLD}, interleaved)`, unit: 'ms',
        value: a.median, baseline: b.median, ratio: a.median / b.median, goal: count >= 200 ? '<= 2x' : 'report', ...(count >= 200 ? { met: a.median / b.median <= 2 } : {}), ...spreadFields(a, b),
      }));

      const viaSocket = await interleave(() => timed(() => spawnAsync(nova, env)), () => timed(() => spawnAsync([process.execPath, '-e', '0'], env)), COLD);
      const s = spreadOf(viaSocket.a);
      const n = spreadOf(viaSocket.b);
      results.push(await saveResult({
        name: `list-cold-socket-${count}`, metric: `cold \`nova ls --json\` with ${count} real items answered by a serving engine over its local socket vs bare \`node -e 0\` (median of ${COLD}, interleaved)`, unit: 'ms',
        value: s.median, baseline: n.median, ratio: s.median / n.median, goal: '<= 1.5x', met: s.median / n.median <= 1.5, ...spreadFields(s, n),
      }));
    }
  } finally {
    await local.close();
    ws.close();
    await server.close();
    await removeRealFleet(call, made);
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
