// The preload under a mocked electron: exactly two functions reach the page, on fixed channels,
// and the main process is told "ready" only once the page has subscribed.
import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, it, vi } from 'vitest';

const h = vi.hoisted(() => ({ exposed: {} as Record<string, unknown>, sent: [] as unknown[][], invoked: [] as unknown[][] }));
const renderer = new EventEmitter();
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void (h.exposed[key] = api) },
  webUtils: { getPathForFile: (f: { path: string }) => f.path },
  ipcRenderer: {
    send: (...a: unknown[]) => void h.sent.push(a),
    invoke: async (...a: unknown[]) => (h.invoked.push(a), { ok: true, value: 1 }),
    on: (ch: string, fn: (...a: unknown[]) => void) => renderer.on(ch, fn),
    removeListener: (ch: string, fn: (...a: unknown[]) => void) => renderer.removeListener(ch, fn),
  },
}));

type Api = { call(m: unknown, i: unknown): Promise<unknown>; on(e: string, fn: (p: unknown) => void): () => void };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('preload bridge', () => {
  let api: Api;
  beforeAll(async () => {
    (globalThis as { window?: unknown }).window = { addEventListener: () => undefined };
    await import('./index.js');
    api = h.exposed.nova as Api;
  });

  it('exposes only call and on, as window.nova', () => {
    expect(Object.keys(h.exposed)).toEqual(['nova']);
    expect(Object.keys(api).sort()).toEqual(['call', 'consoleEndpoint', 'on', 'pathForFile']);
  });

  it('pathForFile answers the dropped file\'s path (Electron webUtils), nothing else', () => {
    const api2 = api as Api & { pathForFile(f: unknown): string };
    expect(api2.pathForFile({ path: '/home/u/Downloads/debian.iso' })).toBe('/home/u/Downloads/debian.iso');
  });

  it('call goes over nova:call with the method as a string', async () => {
    await api.call('host.info', { refresh: true });
    expect(h.invoked).toEqual([['nova:call', 'host.info', { refresh: true }]]);
  });

  it('says ready only after the page subscribed, then delivers events by name', async () => {
    await tick();
    expect(h.sent).toEqual([]);
    const got: unknown[] = [];
    const off = api.on('vm.state', (p) => got.push(p));
    expect(h.sent).toEqual([]);
    await tick();
    expect(h.sent).toEqual([['nova:ready']]);
    renderer.emit('nova:event', {}, 'vm.state', { name: 'a', state: 'running' });
    renderer.emit('nova:event', {}, 'log.line', { line: 'x' });
    off();
    renderer.emit('nova:event', {}, 'vm.state', { name: 'a', state: 'stopped' });
    expect(got).toEqual([{ name: 'a', state: 'running' }]);
    api.on('log.line', () => undefined);
    await tick();
    expect(h.sent).toHaveLength(1);
  });
});
