import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { startServer } from './server.js';
import { IMMUTABLE } from './static.js';
import type { RunningServer } from './server.js';

let dir: string;
let home: TempHome;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-static-'));
  await mkdir(join(dir, 'ui', 'assets'), { recursive: true });
  await writeFile(join(dir, 'ui', 'index.html'), '<div id="root"></div>');
  await writeFile(join(dir, 'ui', 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(dir, 'ui', 'assets', 'index-D4RpTJlD.js'), 'console.log("hashed")');
  await writeFile(join(dir, 'ui', 'assets', 'held-12345678.js'), 'console.log("held")');
  await writeFile(join(dir, 'secret.txt'), 'outside-the-root-secret');
  await symlink(join(dir, 'secret.txt'), join(dir, 'ui', 'leak.txt'));
  await symlink(dir, join(dir, 'ui', 'up'));
  home = await tempHome();
  server = await startServer({ engine: home.engine(), staticDir: join(dir, 'ui') });
});
afterAll(async () => {
  await server?.close();
  await home?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

describe('static files of nova serve', () => {
  it('serves files inside its folder', async () => {
    expect(await (await fetch(`${server.url}/assets/app.js`)).text()).toBe('console.log(1)');
  });
  it('does not follow symlinks out of its folder (file or directory links)', async () => {
    for (const p of ['/leak.txt', '/up/secret.txt', '/%2e%2e/secret.txt']) {
      const body = await (await fetch(`${server.url}${p}`)).text();
      expect(body).not.toContain('outside-the-root-secret');
    }
  });
  it('lets browsers keep content-hashed chunks for good and revalidate everything else', async () => {
    const hashed = await fetch(`${server.url}/assets/index-D4RpTJlD.js`);
    expect(await hashed.text()).toBe('console.log("hashed")');
    expect(hashed.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(hashed.headers.get('content-type')).toBe('text/javascript');
    expect(hashed.headers.get('content-security-policy')).toContain("default-src 'self'");
    const page = await fetch(`${server.url}/`);
    expect(await page.text()).toBe('<div id="root"></div>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const etag = page.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${server.url}/vms`, { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await fetch(`${server.url}/assets/app.js`)).headers.get('cache-control')).toBe('no-cache');
    const head = await fetch(`${server.url}/assets/index-D4RpTJlD.js`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String('console.log("hashed")'.length));
    expect(await head.text()).toBe('');
  });
  it('answers from memory: no file-system call behind the engine\'s start-up work', async () => {
    await rm(join(dir, 'ui', 'assets', 'held-12345678.js'));
    expect(await (await fetch(`${server.url}/assets/held-12345678.js`)).text()).toBe('console.log("held")');
  });
  it('serves what a rebuild wrote after the server started (new chunks, a changed index.html)', async () => {
    await writeFile(join(dir, 'ui', 'assets', 'later-AbCdEf12.js'), 'console.log(2)');
    expect(await (await fetch(`${server.url}/assets/later-AbCdEf12.js`)).text()).toBe('console.log(2)');
    await writeFile(join(dir, 'ui', 'index.html'), '<div id="root" data-v="2"></div>');
    await utimes(join(dir, 'ui', 'index.html'), new Date(), new Date(Date.now() + 5000));
    const page = await fetch(`${server.url}/`);
    expect(await page.text()).toBe('<div id="root" data-v="2"></div>');
  });
});
