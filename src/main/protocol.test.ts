import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appProtocolHandler } from './protocol.js';

describe('nova://app serves the renderer and nothing else', () => {
  let root: string;
  let handler: (req: Request) => Promise<Response>;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'nova-proto-'));
    await mkdir(join(root, 'renderer', 'assets'), { recursive: true });
    await writeFile(join(root, 'renderer', 'index.html'), '<!doctype html><title>Nova</title>');
    await writeFile(join(root, 'renderer', 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(root, 'secret.txt'), 'not for the page');
    handler = appProtocolHandler(join(root, 'renderer'), "default-src 'none'");
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('serves files with their type, the CSP and nosniff', async () => {
    const r = await handler(new Request('nova://app/assets/app.js'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await r.text()).toBe('console.log(1)');
  });

  it('answers client-side routes with index.html but 404s a missing asset', async () => {
    expect(await (await handler(new Request('nova://app/vms/win11'))).text()).toContain('<title>Nova</title>');
    expect((await handler(new Request('nova://app/assets/missing.js'))).status).toBe(404);
  });

  it('never leaves the renderer folder', async () => {
    for (const u of ['nova://app/../secret.txt', 'nova://app/%2e%2e/secret.txt', 'nova://app/..%2fsecret.txt', 'nova://app/assets/..%2f..%2fsecret.txt']) {
      const r = await handler(new Request(u));
      expect(await r.text(), u).not.toContain('not for the page');
    }
  });

  it('refuses other hosts and methods', async () => {
    expect((await handler(new Request('nova://other/index.html'))).status).toBe(404);
    expect((await handler(new Request('nova://app/index.html', { method: 'POST', body: 'x' }))).status).toBe(405);
  });
});
