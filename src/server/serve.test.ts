// `nova serve` as a real process: loopback by default, a token printed once (or from a file),
// refusals without it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { connectNode } from './client.js';

const root = join(import.meta.dirname, '..', '..');
let home: TempHome;
const procs: ChildProcess[] = [];

async function serve(args: string[]): Promise<{ url: string; out: string }> {
  const p = spawn(process.execPath, [join(root, 'bin', 'nova.mjs'), 'serve', '--port', '0', ...args], { env: home.env, stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(p);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/serving on/.test(out) && (args.includes('--token-file') || /#token=/.test(out))) resolve();
    });
    p.once('exit', (c) => reject(new Error(`nova serve exited ${c}: ${out}`)));
  });
  return { url: /serving on (http:\/\/\S+)/.exec(out)![1]!, out };
}

beforeAll(async () => (home = await tempHome()));
afterAll(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await home.cleanup();
});

describe('nova serve', () => {
  it('binds to 127.0.0.1, prints a one-time token URL, answers host.info with it and refuses without', async () => {
    const { url, out } = await serve([]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = /#token=(\S+)/.exec(out)![1]!;
    const client = await connectNode(url, token);
    const info = (await client.call('host.info', {})) as { accelerator: { kind: string } };
    expect(['kvm', 'tcg', 'none']).toContain(info.accelerator.kind);
    client.close();
    await expect(connectNode(url, 'not-the-token')).rejects.toThrow(/401/);
    await expect(connectNode(url, token, 'http://attacker.example')).rejects.toThrow(/403/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    // The UI itself (built by `npm run build`, which npm test runs first) comes with a CSP;
    // without a build the page says how to get one.
    const page = await fetch(`${url}/`);
    if (existsSync(join(root, 'out', 'renderer', 'index.html'))) {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await page.text()).toContain('<div id="root">');
    } else {
      expect(page.status).toBe(404);
      expect(await page.text()).toContain('npm run build');
    }
  });

  it('uses --token-file and never prints the token', async () => {
    const file = join(home.dir, 'token');
    await writeFile(file, 'file-token-0123456789\n');
    const { url, out } = await serve(['--token-file', file, '--allow-host', 'nova.lan', '--allow-host', 'box.example:7878']);
    expect(out).not.toContain('file-token-0123456789');
    // --allow-host adds names to the Host allow-list (DNS rebinding guard); others still get 421.
    const port = new URL(url).port;
    const status = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/rpc', method: 'POST', headers: { host, authorization: 'Bearer file-token-0123456789', 'content-type': 'application/json' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        req.on('error', reject);
        req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prefs.get', params: {} }));
      });
    expect(await status(`nova.lan:${port}`)).toBe(200);
    expect(await status('box.example')).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    expect(await status(`evil.example:${port}`)).toBe(421);
    const client = await connectNode(url, 'file-token-0123456789');
    expect(await client.call('prefs.get', {})).toMatchObject({ theme: 'tokyo-night-storm' });
    client.close();
  });
});
