// The app's console relay refuses everyone but our own page; a real engine behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { originOf, startConsoleProxy } from './console.js';
import type { ConsoleProxy } from './console.js';

const status = (url: string, protocols: string[], headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    ws.once('open', () => (ws.close(), resolve(101)));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });

describe('the app console relay', () => {
  let home: TempHome;
  let proxy: ConsoleProxy;
  beforeAll(async () => {
    home = await tempHome('nova-appcon-');
    proxy = await startConsoleProxy(home.engine(), 'nova://app/index.html');
  });
  afterAll(async () => {
    await proxy.close();
    await home.cleanup();
  });

  it('knows the app origin of a custom scheme', () => {
    expect(originOf('nova://app/index.html')).toBe('nova://app');
    expect(originOf('http://localhost:5173/')).toBe('http://localhost:5173');
  });

  it('lets only the app page with the secret through (then the engine decides: no such VM)', async () => {
    const e = proxy.endpoint('ghost');
    expect(e.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/console\/ghost$/);
    const secretless = e.protocols.filter((p) => !p.startsWith('nova.token.'));
    expect(await status(e.url, e.protocols, { origin: 'nova://app' })).toBe(404);
    expect(await status(e.url, secretless, { origin: 'nova://app' })).toBe(403);
    expect(await status(e.url, [...secretless, 'nova.token.guess'], { origin: 'nova://app' })).toBe(403);
    expect(await status(e.url, e.protocols, { origin: 'http://evil.example' })).toBe(403);
    expect(await status(e.url, e.protocols, {})).toBe(403);
    expect(await status(e.url, e.protocols, { origin: 'nova://app', host: 'evil.example' })).toBe(403);
  });
});
