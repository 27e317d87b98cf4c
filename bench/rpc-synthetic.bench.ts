// SYNTHETIC: the contract's transport alone. An engine without backends answers resource.list with
// one constant 1,000-row array, so this measures serialisation and the WebSocket hop, not listing
// (real listing with created capsules and VMs: list-real.bench.ts). The same calls in-process (the
// CLI's path) and over WebSocket (`nova serve`), for host.info and the 1,000 rows; p50 and p99.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { connectNode } from '../src/server/client.js';
import { startServer } from '../src/server/server.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const ITERATIONS = 400;

async function sample(fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 30; i++) await fn(); // warm up JIT, caches and the socket
  const out: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-'));
  const env = { ...process.env, NOVA_HOME: home };
  const engine = createEngine({ env, paths: resolvePaths(env) }, []);
  // Bench-only fixture: 1,000 rows in resource.list.
  const rows = Array.from({ length: 1000 }, (_, i) => ({ kind: 'vm' as const, name: `vm-${i}`, state: i % 3 ? 'running' : 'stopped', project: 'bench', detail: '2 vCPU · 1 GiB' }));
  engine.resources.provide('vm', async () => rows);
  const server = await startServer({ engine });
  const ws = await connectNode(server.url, server.token);
  const results: BenchResult[] = [];
  try {
    const cases: [string, string][] = [['host.info', 'host-info'], ['resource.list', 'list-1000']];
    for (const [method, label] of cases) {
      const inproc = await sample(() => engine.dispatcher.invoke(method, {}));
      const overWs = await sample(() => ws.call(method, {}));
      for (const p of [50, 99]) {
        const a = percentile(inproc, p);
        const b = percentile(overWs, p);
        const goalWs = label === 'list-1000' && p === 99 ? 10 : undefined;
        const goalIn = label === 'list-1000' && p === 99 ? 2 : undefined;
        results.push(await saveResult({
          name: `rpc-synthetic-${label}-p${p}-inproc`, metric: `${method} p${p} in-process (synthetic fixture rows)`, unit: 'ms', value: a, baseline: null, ratio: null,
          goal: goalIn ? `< ${goalIn} ms` : 'report', ...(goalIn ? { met: a < goalIn } : {}),
        }));
        results.push(await saveResult({
          name: `rpc-synthetic-${label}-p${p}-ws`, metric: `${method} p${p} WebSocket vs in-process (synthetic fixture rows)`, unit: 'ms', value: b, baseline: a, ratio: b / a,
          goal: goalWs ? `< ${goalWs} ms` : 'report', ...(goalWs ? { met: b < goalWs } : {}),
        }));
      }
    }
  } finally {
    ws.close();
    await server.close();
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
  return results;
}
