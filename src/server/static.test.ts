import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

let dir: string;
let home: TempHome;
let server: RunningServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nova-static-'));
  await mkdir(join(dir, 'ui', 'assets'), { recursive: true });
  await writeFile(join(dir, 'ui', 'index.html'), '<div id="root"></div>');
  await writeFile(join(dir, 'ui', 'assets', 'app.js'), 'console.log(1)');
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
});
