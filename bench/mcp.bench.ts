// MCP `tools/list` round trips (#21: < 50 ms), with the MCP SDK's own client (not Nova's code):
// - mcp-tools-list-http: over `nova serve`'s /mcp (Streamable HTTP, token), one connected client;
// - mcp-tools-list-stdio: over a spawned `nova mcp` (stdio), one connected client.
// Both list every read tool with its JSON Schema (generated from zod once per server), as the
// SDK client's `request('tools/list')` (its protocol checks included). Baseline, same run,
// interleaved: the MCP `ping` round trip on the same connection — transport and protocol alone,
// so the ratio is what building and sending the tool list costs.
// - mcp-sdk-listTools-http: the SDK's `listTools()` helper, reported: on every call it compiles an
//   AJV validator for each tool's outputSchema in the client (cacheToolMetadata); a profile puts
//   ~95% of that call there, none of it in Nova.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListToolsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { startServer } from '../src/server/server.js';
import { interleave, runsOr, spreadFields, spreadOf } from './sample.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const RUNS = runsOr(60);

const toolsList = (client: Client) => client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema);

async function measure(name: string, how: string, client: Client, sdkHelper = false): Promise<BenchResult> {
  const list = sdkHelper ? () => client.listTools() : () => toolsList(client);
  const { tools } = await list();
  if (tools.length < 10) throw new Error(`${how}: tools/list returned ${tools.length} tools`);
  for (let i = 0; i < 5; i++) await list(); // warm up
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const r = await interleave(() => time(list), () => time(() => client.ping()), RUNS);
  const a = spreadOf(r.a);
  const b = spreadOf(r.b);
  const p99 = percentile(r.a, 99);
  return saveResult({
    name, metric: `MCP tools/list round trip ${how} (${tools.length} tools), p99 of ${RUNS}; baseline: MCP ping on the same connection (median, interleaved)`, unit: 'ms',
    value: p99, baseline: b.median, ratio: a.median / b.median, ...(sdkHelper ? { goal: 'report (client-side AJV compile)' } : { goal: '< 50 ms (p99)', met: p99 < 50 }), notes: `median ${a.median.toFixed(1)} ms`, ...spreadFields(a, b),
  });
}

export async function run(): Promise<BenchResult[]> {
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-mcp-'));
  const env = { ...process.env, NOVA_HOME: home };
  const engine = createEngine({ env, paths: resolvePaths(env) });
  const server = await startServer({ engine });
  const clients: Client[] = [];
  try {
    const http = new Client({ name: 'nova-bench', version: '1' });
    clients.push(http);
    await http.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${server.token}` } } }));
    const results = [await measure('mcp-tools-list-http', 'over nova serve /mcp (Streamable HTTP, token)', http)];
    results.push(await measure('mcp-sdk-listTools-http', 'with the SDK client\'s listTools() helper over /mcp', http, true));
    const stdio = new Client({ name: 'nova-bench', version: '1' });
    clients.push(stdio);
    await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'mcp'], env: env as Record<string, string>, stderr: 'inherit' }));
    results.push(await measure('mcp-tools-list-stdio', 'over a spawned `nova mcp` (stdio)', stdio));
    return results;
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await server.close();
    await engine.close();
    await rm(home, { recursive: true, force: true });
  }
}
