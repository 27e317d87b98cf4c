// One suite, three transports: the same cases must give the same answers in-process (CLI),
// over Electron IPC (mocked electron module: the binary cannot exist here) and over WebSocket.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Result } from '../shared/errors.js';
import { NovaError } from '../shared/errors.js';
import type { Engine } from '../core/engine.js';
import { startServer } from '../server/server.js';
import type { RunningServer } from '../server/server.js';
import { connectNode } from '../server/client.js';
import { tempHome } from './host.js';
import type { TempHome } from './host.js';

const electron = vi.hoisted(() => {
  const handlers = new Map<string, (e: unknown, ...args: unknown[]) => unknown>();
  const listeners = new Map<string, (e: unknown, ...args: unknown[]) => void>();
  const sent: [string, ...unknown[]][] = [];
  const mainFrame = { url: 'file:///app/index.html' };
  const webContents = { mainFrame, send: (...args: [string, ...unknown[]]) => void sent.push(args), once: () => undefined };
  const win = { webContents, isDestroyed: () => false };
  return {
    handlers, listeners, sent, win,
    module: {
      ipcMain: {
        handle: (ch: string, fn: (e: unknown, ...a: unknown[]) => unknown) => void handlers.set(ch, fn),
        removeHandler: (ch: string) => void handlers.delete(ch),
        on: (ch: string, fn: (e: unknown, ...a: unknown[]) => void) => void listeners.set(ch, fn),
        removeListener: (ch: string) => void listeners.delete(ch),
      },
    },
  };
});
vi.mock('electron', () => electron.module);

interface Client {
  call(method: string, input?: unknown): Promise<unknown>;
  events: { event: string; payload: unknown }[];
}

let home: TempHome;
let engine: Engine;
let server: RunningServer;
const clients: Record<string, Client> = {};
const closers: (() => void)[] = [];

const unwrap = (r: Result<unknown>) => {
  if (!r.ok) throw NovaError.from(r.error);
  return r.value;
};

beforeAll(async () => {
  home = await tempHome();
  engine = home.engine();
  // A known row, so resource.list is checked for what it carries and how it filters.
  engine.resources.provide('vm', async () => [{ kind: 'vm', name: 'conformance-row', state: 'stopped', project: 'conf', detail: '1 vCPU' }]);

  const inprocEvents: Client['events'] = [];
  closers.push(engine.bus.onAny((event, payload) => inprocEvents.push({ event, payload })));
  clients.inproc = { call: async (m, i) => unwrap(await engine.dispatcher.call(m, i)), events: inprocEvents };

  const { bindIpc } = await import('../main/ipc.js');
  closers.push(bindIpc(engine, () => electron.win as never));
  const trusted = { sender: electron.win.webContents, senderFrame: electron.win.webContents.mainFrame };
  electron.listeners.get('nova:ready')!(trusted);
  clients.ipc = {
    call: async (m, i) => unwrap((await electron.handlers.get('nova:call')!(trusted, m, i)) as Result<unknown>),
    get events() {
      return electron.sent.filter(([ch]) => ch === 'nova:event').map(([, event, payload]) => ({ event: event as string, payload }));
    },
  };

  server = await startServer({ engine });
  const ws = await connectNode(server.url, server.token);
  const wsEvents: Client['events'] = [];
  for (const ev of ['prefs.changed', 'task.progress']) ws.on(ev, (payload) => wsEvents.push({ event: ev, payload }));
  clients.ws = { call: (m, i) => ws.call(m, i), events: wsEvents };
  closers.push(() => ws.close());
});

afterAll(async () => {
  for (const c of closers) c();
  await server?.close();
  await home?.cleanup();
});

describe.each(['inproc', 'ipc', 'ws'])('contract over %s', (name) => {
  const client = () => clients[name]!;

  it('host.info reports the accelerator with its reason', async () => {
    const info = (await client().call('host.info', {})) as { accelerator: { kind: string; reason: string }; cpus: number };
    expect(['kvm', 'tcg', 'none']).toContain(info.accelerator.kind);
    expect(info.accelerator.reason.length).toBeGreaterThan(5);
    expect(info.cpus).toBeGreaterThan(0);
  });

  it('resource.list carries the backends\' rows and filters them by kind and project', async () => {
    const row = { kind: 'vm', name: 'conformance-row', state: 'stopped', project: 'conf', detail: '1 vCPU' };
    expect(((await client().call('resource.list', {})) as { items: unknown[] }).items).toContainEqual(row);
    expect(await client().call('resource.list', { kind: 'vm', project: 'conf' })).toEqual({ items: [row] });
    expect(((await client().call('resource.list', { kind: 'network' })) as { items: unknown[] }).items).not.toContainEqual(row);
    expect(await client().call('resource.list', { project: 'elsewhere' })).toEqual({ items: [] });
  });

  it('an unknown method is NOT_FOUND', async () => {
    await expect(client().call('vm.explode', {})).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('vm.explode') });
  });

  it('invalid input is INVALID_INPUT naming the field', async () => {
    await expect(client().call('task.cancel', { id: 42 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('invalid id') });
    await expect(client().call('prefs.set', { key: 'captureScanSeconds', value: 5 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('captureScanSeconds') });
  });

  it('novafile.validate locates errors and redacts secrets', async () => {
    const bad = (await client().call('novafile.validate', { text: '[vm.a]\nkernel = "/k"\ncpus = 2\n' })) as { valid: boolean; errors: { line: number; column: number }[] };
    expect(bad.valid).toBe(false);
    expect(bad.errors[0]).toMatchObject({ line: 3, column: 1 });
    const good = (await client().call('novafile.validate', { text: '[container.api]\ncapsule = "busybox"\nenv.API_KEY = "hunter2"\n' })) as { valid: boolean; novafile: unknown };
    expect(good.valid).toBe(true);
    expect(JSON.stringify(good.novafile)).not.toContain('hunter2');
  });

  it('prefs.set persists and publishes prefs.changed', async () => {
    const seconds = { inproc: 20, ipc: 40, ws: 60 }[name]!;
    const next = (await client().call('prefs.set', { key: 'captureScanSeconds', value: seconds })) as { captureScanSeconds: number };
    expect(next.captureScanSeconds).toBe(seconds);
    expect(((await client().call('prefs.get', {})) as { captureScanSeconds: number }).captureScanSeconds).toBe(seconds);
    await vi.waitFor(() => expect(client().events.some((e) => e.event === 'prefs.changed' && (e.payload as { captureScanSeconds: number }).captureScanSeconds === seconds)).toBe(true));
  });

  it('task.cancel of an unknown task is NOT_FOUND', async () => {
    await expect(client().call('task.cancel', { id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('transport guards', () => {
  it('IPC refuses calls from a frame that is not our window', async () => {
    const foreign = { sender: electron.win.webContents, senderFrame: { url: 'https://evil.example/' } };
    const r = (await electron.handlers.get('nova:call')!(foreign, 'host.info', {})) as Result<unknown>;
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION' } });
  });

  it('WebSocket refuses a missing or wrong token and a foreign Origin', async () => {
    await expect(connectNode(server.url, '')).rejects.toThrow(/401/);
    await expect(connectNode(server.url, 'wrong-token')).rejects.toThrow(/401/);
    await expect(connectNode(server.url, server.token, 'http://evil.example')).rejects.toThrow(/403/);
    const own = await connectNode(server.url, server.token, server.url);
    own.close();
  });

  it('HTTP POST /rpc answers JSON-RPC with the token and refuses without it', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'prefs.get', params: {} });
    const ok = await fetch(`${server.url}/rpc`, { method: 'POST', body, headers: { authorization: `Bearer ${server.token}` } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { theme: string } }).result.theme).toBe('tokyo-night-storm');
    const no = await fetch(`${server.url}/rpc`, { method: 'POST', body });
    expect(no.status).toBe(401);
  });

  it('binds to loopback by default', () => {
    expect(server.host).toBe('127.0.0.1');
  });
});
