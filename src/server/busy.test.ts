// A 4 MB NovaFile validated over the API must not stall the server: /healthz keeps answering
// quickly while the validation runs (in a worker thread), and bigger files are refused.
import { spawn } from 'node:child_process';
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

const rpc = (method: string, params: unknown) =>
  fetch(`${url}/rpc`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).then((r) => r.json() as Promise<{ result?: { valid: boolean; counts: { container: number } }; error?: { code: number; data: { code: string } } }>);

describe('novafile.validate off the event loop', () => {
  it('validates a 4 MB NovaFile while /healthz keeps answering in under 100 ms', async () => {
    const sections: string[] = [];
    for (let i = 0, size = 0; size < 4_000_000; i++) {
      const s = `[container.c${i}]\ncapsule = "busybox"\n`;
      sections.push(s);
      size += s.length;
    }
    const text = sections.join('');
    let done = false;
    const validated = rpc('novafile.validate', { text }).finally(() => (done = true));
    const latencies: number[] = [];
    // Probe back to back until the validation has answered: every probe is one event pair.
    while (!done) {
      const t0 = performance.now();
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      latencies.push(performance.now() - t0);
    }
    const r = await validated;
    expect(r.result).toMatchObject({ valid: true, counts: { container: sections.length } });
    expect(latencies.length).toBeGreaterThan(20);
    // 95 % of the probes under 100 ms (the event loop is free); single probes may wait for the
    // OS scheduler on a loaded 2-core machine, never for the validation (~9 s on the loop before).
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length * 0.95)]).toBeLessThan(100);
    expect(sorted[sorted.length - 1]).toBeLessThan(1000);
  }, 180_000);

  it('refuses a NovaFile over the size limit with INVALID_INPUT naming the limit', async () => {
    const r = await rpc('novafile.validate', { text: `# ${'x'.repeat(4 * 1024 * 1024 + 10)}\n` });
    expect(r.error).toMatchObject({ code: -32602, data: { code: 'INVALID_INPUT' } });
  });
});
