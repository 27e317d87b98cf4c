// Prometheus /metrics of `nova serve` with real items, not a fixture: 10, 50 and 200 created
// capsules and VMs (half each, as list-real), then
// - metrics-scrape-N-p99: GET /metrics with the token over HTTP, p50 and p99 of 60 scrapes
//   (goal from #21: p99 < 20 ms at 200 items);
// - metrics-vs-reads-N: the scrape vs the raw reads it is made of — the same six contract reads
//   (host.info, vm.list, capsule.list, network.list, gpu.list, task.list) sent as one JSON-RPC
//   batch POST /rpc to the same server — interleaved (ABBA). Same server, same transport, same
//   reads; the ratio is what turning them into series and exposition text costs.
// Items are created, not started: no per-item stats are read (running ones are in the test).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { growRealFleet, removeRealFleet } from './real-fleet.js';
import { metricsFor } from '../src/server/metrics.js';
import { startServer } from '../src/server/server.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const STEPS = (process.env.NOVA_BENCH_METRICS_STEPS ?? '10,50,200').split(',').map(Number);
const CALLS = runsOr(60);
const PAIRS = runsOr(30);
const READS = ['host.info', 'vm.list', 'capsule.list', 'network.list', 'gpu.list', 'task.list'];

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-metrics-'));
  const env = { ...process.env, NOVA_HOME: home };
  const paths = resolvePaths(env);
  const engine = createEngine({ env, paths });
  metricsFor(engine);
  const call = (m: string, i: unknown) => engine.dispatcher.invoke(m, i);
  const server = await startServer({ engine });
  const auth = { authorization: `Bearer ${server.token}` };
  const scrape = async () => {
    const r = await fetch(`${server.url}/metrics`, { headers: auth });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${text}`);
    return text;
  };
  const batch = JSON.stringify(READS.map((method, id) => ({ jsonrpc: '2.0', id, method, params: {} })));
  const reads = async () => {
    const r = await fetch(`${server.url}/rpc`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: batch });
    const replies = (await r.json()) as { error?: { message: string } }[];
    const failed = replies.find((x) => x.error);
    if (r.status !== 200 || replies.length !== READS.length || failed) throw new Error(`raw reads failed: ${failed?.error?.message ?? r.status}`);
  };
  const rootfs = busyboxRootfs(join(home, 'work'));
  const results: BenchResult[] = [];
  let made = 0;
  try {
    for (const count of STEPS) {
      made = await growRealFleet(call, paths, rootfs, made, count);
      // The scrape must show every item, or it is not the same work.
      const text = await scrape();
      const vms = text.split('\n').filter((l) => l.startsWith('nova_vm_info{')).length;
      const caps = text.split('\n').filter((l) => l.startsWith('nova_capsule_info{')).length;
      if (vms + caps < count) throw new Error(`/metrics shows ${vms} VMs + ${caps} capsules, expected ${count}`);
      for (let i = 0; i < 5; i++) await scrape(); // warm up
      const samples: number[] = [];
      for (let i = 0; i < CALLS; i++) samples.push(await timed(scrape));
      const p50 = percentile(samples, 50);
      const p99 = percentile(samples, 99);
      results.push(await saveResult({
        name: `metrics-scrape-${count}-p99`, metric: `GET /metrics (token, HTTP) with ${count} real items (${count / 2} capsules + ${count / 2} VMs, created), p99 of ${CALLS}`, unit: 'ms',
        value: p99, baseline: null, ratio: null, goal: count >= 200 ? '< 20 ms' : 'report', ...(count >= 200 ? { met: p99 < 20 } : {}), notes: `p50 ${p50.toFixed(1)} ms, ${text.length} bytes`,
      }));

      const pair = await interleave(() => timed(scrape), () => timed(reads), PAIRS, 3);
      const a = spreadOf(pair.a);
      const b = spreadOf(pair.b);
      results.push(await saveResult({
        name: `metrics-vs-reads-${count}`, metric: `GET /metrics vs the same six contract reads as one JSON-RPC batch on the same server, ${count} items (median of ${PAIRS}, interleaved)`, unit: 'ms',
        value: a.median, baseline: b.median, ratio: a.median / b.median, goal: 'report', ...spreadFields(a, b),
      }));
    }
  } finally {
    await server.close();
    await removeRealFleet(call, made);
    metricsFor(engine).close();
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
