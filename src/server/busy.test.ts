// A 4 MB NovaFile validated or planned over the API must not stall the server: /healthz keeps answering
// quickly while the validation runs (in a worker thread), and bigger files are refused.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';

const root = join(import.meta.dirname, '..', '..');
let home: TempHome;
let serve: ChildProcess;
let url: string;
let token: string;

beforeAll(async () => {
  home = await tempHome();
  serve = spawn(process.execPath, [join(root, 'bin', 'nova.mjs'), 'serve', '--port', '0'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    serve.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/#token=\S+\n/.test(out)) resolve();
    });
    serve.once('exit', (c) => reject(new Error(`nova serve exited ${c}`)));
  });
  url = /serving on (http:\/\/\S+)/.exec(out)![1]!;
  token = /#token=(\S+)/.exec(out)![1]!;
}, 120_000);
afterAll(async () => {
  serve?.kill('SIGTERM');
  await home?.cleanup();
});

/** /healthz latencies, probed back to back until `work` settles (every probe is one event pair). */
async function probeWhile<T>(work: Promise<T>): Promise<{ result: T; latencies: number[] }> {
  let done = false;
  const settled = work.finally(() => (done = true));
  const latencies: number[] = [];
  while (!done) {
    const t0 = performance.now();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    latencies.push(performance.now() - t0);
  }
  return { result: await settled, latencies };
}

/** 95 % of the probes under 100 ms (the event loop is free); single probes may wait for the OS
 *  scheduler on a loaded 2-core machine, never for the NovaFile (~9 s on the loop before). */
function expectResponsive(latencies: number[]): void {
  expect(latencies.length).toBeGreaterThan(20);
  const sorted = [...latencies].sort((a, b) => a - b);
  expect(sorted[Math.floor(sorted.length * 0.95)]).toBeLessThan(100);
  expect(sorted[sorted.length - 1]).toBeLessThan(1000);
}

/** About `bytes` of valid container sections. */
function bigNovafile(bytes: number): { text: string; count: number } {
  const sections: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const s = `[container.c${i}]\ncapsule = "busybox"\n`;
    sections.push(s);
    size += s.length;
  }
  return { text: sections.join(''), count: sections.length };
}

const rpc = (method: string, params: unknown) =>
  fetch(`${url}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).then((r) => r.json() as Promise<{ result?: { valid: boolean; counts: { container: number } }; error?: { code: number; data: { code: string } } }>);

describe('NovaFile loading off the event loop', () => {
  it('validates a 4 MB NovaFile while /healthz keeps answering in under 100 ms', async () => {
    const { text, count } = bigNovafile(4_000_000);
    const { result, latencies } = await probeWhile(rpc('novafile.validate', { text }));
    expect(result.result).toMatchObject({ valid: true, counts: { container: count } });
    expectResponsive(latencies);
  }, 180_000);

  it('plans from a 4 MB NovaFile in a project folder without stalling the server: parsing and validation run in the worker', async () => {
    // One bad entry at the end: the plan stops at validation, so only loading is timed here.
    const { text } = bigNovafile(4_000_000);
    const dir = join(home.dir, 'big-project');
    await mkdir(dir);
    await writeFile(join(dir, 'NovaFile'), `${text}[container.bad]\ncapsule = 42\n`);
    const { result, latencies } = await probeWhile(rpc('novafile.plan', { cwd: dir }));
    const error = (result as { error?: { data: { code: string; message: string } } }).error;
    expect(error?.data.code).toBe('INVALID_INPUT');
    expect(error?.data.message).toMatch(/NovaFile:\d{6}:1: container\.bad\.capsule/);
    expectResponsive(latencies);
  }, 180_000);

  it('refuses a NovaFile over the size limit with INVALID_INPUT naming the limit', async () => {
    const r = await rpc('novafile.validate', { text: `# ${'x'.repeat(4 * 1024 * 1024 + 10)}\n` });
    expect(r.error).toMatchObject({ code: -32602, data: { code: 'INVALID_INPUT' } });
  });
});
