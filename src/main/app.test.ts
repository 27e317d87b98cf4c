// Boots src/main/index.ts against the mocked electron module: switches, app id, single instance,
// the hardened window, show-before-probe, window bounds and the dev-URL guard.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FakeElectron } from './testing/fake-electron.js';

const holder = vi.hoisted(() => ({ current: undefined as unknown as FakeElectron }));
vi.mock('electron', async () => {
  const { electronModule, fakeElectron } = await import('./testing/fake-electron.js');
  holder.current = fakeElectron();
  return electronModule(holder);
});

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met in time${holder.current.dialog.errors.length ? `; start-up failed: ${holder.current.dialog.errors.join('\n')}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('main process start-up', () => {
  let home: string;
  const saved = { ...process.env };

  beforeEach(async () => {
    vi.resetModules();
    const { fakeElectron } = await import('./testing/fake-electron.js');
    holder.current = fakeElectron();
    home = await mkdtemp(join(tmpdir(), 'nova-app-'));
    process.env.NOVA_HOME = home;
    delete process.env.ELECTRON_RENDERER_URL;
    process.env.NOVA_TRAY = '0';
  });
  afterEach(async () => {
    process.env = { ...saved };
    vi.restoreAllMocks();
    await rm(home, { recursive: true, force: true });
  });

  const boot = async (prepare?: (e: FakeElectron) => void) => {
    await import('electron');
    const electron = holder.current;
    prepare?.(electron);
    await import('./index.js');
    return electron;
  };

  it('asks Chromium for Wayland (Ozone hint auto) with Wayland window decorations, as app id org.nova.Nova', async () => {
    const e = await boot();
    const sw = e.app.commandLine.switches;
    expect(sw.get('ozone-platform-hint')).toBe('auto');
    expect(sw.get('enable-features')!.split(',')).toContain('WaylandWindowDecorations');
    expect(sw.get('class')).toBe('org.nova.Nova');
    // Electron's Wayland app_id, WM_CLASS and notification desktop-entry come from the desktop name.
    if (process.platform === 'linux') expect(e.app.desktopName).toBe('org.nova.Nova.desktop');
    expect(e.app.name).toBe('Nova');
    // Chromium's profile goes under Nova's config, not ~/.config/Nova or ~/.config/org.nova.Nova.
    expect(e.app.paths.userData).toBe(join(home, 'config', 'electron'));
  });

  it('opens a hardened window, shows it, and only then probes the host', async () => {
    // The same module instance index.ts will load (the registry was reset in beforeEach).
    const { HostProbe } = await import('../core/host/probe.js');
    const probe = vi.spyOn(HostProbe.prototype, 'info');
    const e = await boot();
    e.app.fireReady();
    await until(() => e.BrowserWindow.instances.length === 1);
    const win = e.BrowserWindow.instances[0]!;
    const wp = win.options.webPreferences as Record<string, unknown>;
    expect(wp).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
    expect(String(wp.preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(win.options.show).toBe(false);
    expect(win.loaded).toEqual({ kind: 'url', target: 'nova://app/index.html' });
    // The page comes from the privileged nova:// scheme, with the CSP on every response.
    expect(e.protocol.privileged).toEqual([{ scheme: 'nova', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    const page = await e.protocol.handlers.get('nova')!(new Request('nova://app/index.html'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(probe).not.toHaveBeenCalled();
    // The IPC bridge, the CSP header and the permission handlers are in place before any page runs.
    expect(e.ipcMain.handlers.has('nova:call')).toBe(true);
    expect(e.session.handlers.headers).toBeTypeOf('function');
    expect(e.session.handlers.request).toBeTypeOf('function');
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);
    await until(() => probe.mock.calls.length > 0);
    await probe.mock.results[0]!.value;
    // Closing the last window closes the engine (VMs keep running) and quits.
    e.app.emit('window-all-closed');
    await until(() => e.app.quitCalled);
  });

  it('locks every web contents the app creates: no new windows, no navigation away, no webview', async () => {
    const e = await boot();
    const { FakeWebContents } = await import('./testing/fake-electron.js');
    const contents = new FakeWebContents('nova://app/index.html');
    e.app.emit('web-contents-created', {}, contents);
    expect(contents.windowOpenHandler!({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(contents.fire('will-navigate', 'https://example.org/')).toBe(true);
    expect(contents.fire('will-attach-webview', {}, {})).toBe(true);
  });

  it('remembers the window size and position in the `window` preference', async () => {
    const e = await boot();
    e.app.fireReady();
    await until(() => e.BrowserWindow.instances.length === 1);
    const win = e.BrowserWindow.instances[0]!;
    win.bounds = { x: 40, y: 50, width: 1000, height: 700 };
    win.emit('close');
    const prefsFile = join(home, 'config', 'prefs.json');
    await until(() => {
      try {
        return readFileSync(prefsFile, 'utf8').includes('"width": 1000');
      } catch {
        return false;
      }
    });
    const stored = JSON.parse(await readFile(prefsFile, 'utf8')) as { window: unknown };
    expect(stored.window).toEqual({ x: 40, y: 50, width: 1000, height: 700, maximized: false });

    // Next start opens at the same place and size.
    vi.resetModules();
    holder.current = (await import('./testing/fake-electron.js')).fakeElectron();
    const e2 = await boot();
    e2.app.fireReady();
    await until(() => e2.BrowserWindow.instances.length === 1);
    expect(e2.BrowserWindow.instances[0]!.options).toMatchObject({ x: 40, y: 50, width: 1000, height: 700 });
  });

  it('a second instance quits at once and focuses the first instead of opening a window', async () => {
    const e = await boot((el) => (el.app.singleInstance = false));
    expect(e.app.quitCalled).toBe(true);
    e.app.fireReady();
    await new Promise((r) => setTimeout(r, 50));
    expect(e.BrowserWindow.instances).toHaveLength(0);
  });

  it('loads the dev server only in development; a packaged app ignores ELECTRON_RENDERER_URL', async () => {
    process.env.ELECTRON_RENDERER_URL = 'https://evil.example/';
    const e = await boot((el) => (el.app.isPackaged = true));
    e.app.fireReady();
    await until(() => e.BrowserWindow.instances.length === 1);
    expect(e.BrowserWindow.instances[0]!.loaded).toEqual({ kind: 'url', target: 'nova://app/index.html' });

    vi.resetModules();
    holder.current = (await import('./testing/fake-electron.js')).fakeElectron();
    process.env.ELECTRON_RENDERER_URL = 'http://localhost:5173/';
    const dev = await boot();
    dev.app.fireReady();
    await until(() => dev.BrowserWindow.instances.length === 1);
    expect(dev.BrowserWindow.instances[0]!.loaded).toEqual({ kind: 'url', target: 'http://localhost:5173/' });
  });
});
