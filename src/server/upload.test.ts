// PUT /upload/iso/NAME on the real server: an ISO a browser dropped lands in the default pool
// (whole, or not at all), behind the API's checks; bad names, a cut-off upload and an existing
// file are refused with what to do.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../core/engine.js';
import { tempHome } from '../test/host.js';
import { waitFor } from '../test/wait.js';
import type { TempHome } from '../test/host.js';
import { startServer } from './server.js';
import type { RunningServer } from './server.js';

describe('ISO upload into the default pool (nova serve)', () => {
  let home: TempHome;
  let engine: Engine;
  let server: RunningServer;
  let pool: string;
  beforeAll(async () => {
    home = await tempHome('nprv-up-');
    engine = home.engine();
    server = await startServer({ engine, port: 0 });
    pool = join(home.dir, 'data', 'storage');
  });
  afterAll(async () => {
    await server?.close();
    await home?.cleanup();
  });

  const put = (name: string, body: Buffer, headers: Record<string, string> = { authorization: `Bearer ${server.token}` }) =>
    fetch(`${server.url}/upload/iso/${encodeURIComponent(name)}`, { method: 'PUT', body, headers });

  it('stores the file whole in the default pool, lists it as an ISO, and never replaces one', async () => {
    const body = randomBytes(3 * 1024 * 1024 + 17);
    const r = await put('My_Installer.iso', body);
    expect(r.status).toBe(200);
    const path = join(pool, 'My_Installer.iso');
    expect(await r.json()).toEqual({ path, sizeBytes: body.length });
    expect(readFileSync(path).equals(body)).toBe(true);
    const files = (await engine.dispatcher.invoke('storage.files', { kind: 'iso' })) as { items: { path: string; pool: string }[] };
    expect(files.items).toContainEqual(expect.objectContaining({ path, pool: 'default' }));
    const again = await put('My_Installer.iso', randomBytes(10));
    expect(again.status).toBe(409);
    expect(JSON.stringify(await again.json())).toMatch(/already has My_Installer\.iso: pick it from the list/);
    expect(readFileSync(path).equals(body)).toBe(true);
    expect(readdirSync(pool).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('refuses without the token, from another site, and names that are not plain .iso files', async () => {
    expect((await put('a.iso', Buffer.from('x'), {})).status).toBe(401);
    expect((await put('a.iso', Buffer.from('x'), { authorization: `Bearer ${server.token}`, origin: 'http://attacker.example' })).status).toBe(403);
    for (const bad of ['../escape.iso', 'notes.txt', '.hidden.iso', 'a/b.iso']) {
      const r = await put(bad, Buffer.from('x'));
      expect([bad, r.status]).toEqual([bad, 400]);
      expect(JSON.stringify(await r.json())).toMatch(/is not an ISO file name/);
    }
    expect(existsSync(join(home.dir, 'data', 'escape.iso'))).toBe(false);
  });

  it('a cut-off upload leaves nothing behind', async () => {
    // Announces 1 MiB, sends 1 KiB, then the connection drops.
    await new Promise<void>((resolve) => {
      const u = new URL(`${server.url}/upload/iso/cut.iso`);
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'PUT', headers: { authorization: `Bearer ${server.token}`, 'content-length': String(1024 * 1024) } });
      req.on('error', () => resolve());
      req.write(randomBytes(1024), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
    });
    await waitFor('the partial file removed', () => readdirSync(pool).every((f) => !f.includes('cut.iso')) || undefined, 10_000, 50);
  });
});
