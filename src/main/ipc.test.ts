import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as electron from 'electron';
import type { FakeElectron } from './testing/fake-electron.js';
import { FakeBrowserWindow, FakeFrame, FakeWebContents } from './testing/fake-electron.js';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { bindIpc, CHANNEL_CALL, CHANNEL_EVENT, CHANNEL_READY } from './ipc.js';

vi.mock('electron', async () => {
  const { fakeElectron } = await import('./testing/fake-electron.js');
  const e = fakeElectron();
  return { ...e, default: e };
});

const fake = electron as unknown as FakeElectron;
const APP = 'nova://app/index.html';

describe('IPC bridge', () => {
  let home: TempHome;
  let win: FakeBrowserWindow;
  let unbind: () => void;

  beforeEach(async () => {
    home = await tempHome('nova-ipc-');
    win = new FakeBrowserWindow({ width: 800, height: 600 });
    await win.loadURL(APP);
    unbind = bindIpc(home.engine(), () => win as never, APP);
  });
  afterEach(async () => {
    unbind();
    await home.cleanup();
  });

  const call = (event: object, method: unknown, input: unknown = {}) =>
    (fake.ipcMain.handlers.get(CHANNEL_CALL) as (e: object, m: unknown, i: unknown) => Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>)(event, method, input);
  const fromMainFrame = () => ({ sender: win.webContents, senderFrame: win.webContents.mainFrame });

  it('dispatches a call from our own window main frame', async () => {
    const r = await call(fromMainFrame(), 'prefs.get');
    expect(r.ok).toBe(true);
    expect((r.value as { theme: string }).theme).toBe('tokyo-night-storm');
  });

  it('refuses a call from an iframe of our window', async () => {
    const r = await call({ sender: win.webContents, senderFrame: new FakeFrame(APP) }, 'prefs.get');
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION', message: expect.stringContaining('untrusted frame') } });
  });

  it('refuses a call from another webContents (a second window, a devtools page)', async () => {
    const other = new FakeWebContents(APP);
    const r = await call({ sender: other, senderFrame: other.mainFrame }, 'prefs.get');
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION' } });
  });

  it('refuses a call once the main frame shows a page that is not ours', async () => {
    win.webContents.mainFrame.url = 'https://evil.example/';
    const r = await call(fromMainFrame(), 'prefs.set', { key: 'theme', value: 'tokyo-night-day' });
    expect(r).toMatchObject({ ok: false, error: { code: 'PERMISSION' } });
    // Nothing was written.
    win.webContents.mainFrame.url = APP;
    const after = await call(fromMainFrame(), 'prefs.get');
    expect((after.value as { theme: string }).theme).toBe('tokyo-night-storm');
  });

  it('refuses calls after the window is gone', async () => {
    win.destroyed = true;
    expect(await call(fromMainFrame(), 'prefs.get')).toMatchObject({ ok: false, error: { code: 'PERMISSION' } });
  });

  it('rejects a non-string method and reports unknown methods', async () => {
    expect(await call(fromMainFrame(), 42)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call(fromMainFrame(), 'nope.nothing')).toMatchObject({ ok: false });
  });

  it('queues events until the renderer is ready, then delivers them in order', async () => {
    await call(fromMainFrame(), 'prefs.set', { key: 'theme', value: 'tokyo-night-moon' });
    await call(fromMainFrame(), 'prefs.set', { key: 'theme', value: 'tokyo-night-day' });
    expect(win.webContents.sent).toEqual([]);
    // A ready signal from a foreign frame releases nothing.
    fake.ipcMain.emitTo(CHANNEL_READY, { sender: win.webContents, senderFrame: new FakeFrame(APP) });
    expect(win.webContents.sent).toEqual([]);
    fake.ipcMain.emitTo(CHANNEL_READY, fromMainFrame());
    const themes = win.webContents.sent.map(([ch, ev, p]) => [ch, ev, (p as { theme: string }).theme]);
    expect(themes).toEqual([
      [CHANNEL_EVENT, 'prefs.changed', 'tokyo-night-moon'],
      [CHANNEL_EVENT, 'prefs.changed', 'tokyo-night-day'],
    ]);
    // After ready, events go straight out.
    await call(fromMainFrame(), 'prefs.set', { key: 'notifications', value: false });
    expect(win.webContents.sent).toHaveLength(3);
    // A reload: queued again until the new page is ready.
    win.webContents.emit('did-start-loading');
    await call(fromMainFrame(), 'prefs.set', { key: 'notifications', value: true });
    expect(win.webContents.sent).toHaveLength(3);
    fake.ipcMain.emitTo(CHANNEL_READY, fromMainFrame());
    expect(win.webContents.sent).toHaveLength(4);
  });
});
