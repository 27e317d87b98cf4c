import { describe, expect, it, vi } from 'vitest';
import { appMenuTemplate, trayMenuTemplate } from './menu.js';
import type { MenuActions } from './menu.js';
import { appSwitches, applySwitches } from './switches.js';
import { traySupported } from './tray.js';
import { MIN_SIZE, restoreBounds, windowOptions } from './window.js';

vi.mock('electron', async () => {
  const { fakeElectron } = await import('./testing/fake-electron.js');
  const e = fakeElectron();
  return { ...e, default: e };
});

describe('window options', () => {
  it('sandboxes the renderer: isolation on, node off everywhere, no webview, web security on', () => {
    const o = windowOptions('/app/out/preload/index.cjs');
    expect(o.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      enableWebSQL: false,
      experimentalFeatures: false,
      disableBlinkFeatures: 'Auxclick',
    });
    expect(o.show).toBe(false);
  });
});

describe('remembered bounds', () => {
  const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }];
  it('restores size and position on a connected display', () => {
    expect(restoreBounds({ x: 100, y: 80, width: 1100, height: 750, maximized: false }, screen)).toEqual({ x: 100, y: 80, width: 1100, height: 750 });
  });
  it('keeps the size but drops a position on a monitor that is gone', () => {
    expect(restoreBounds({ x: 3000, y: 0, width: 1100, height: 750, maximized: false }, screen)).toEqual({ width: 1100, height: 750 });
  });
  it('never restores a window smaller than usable', () => {
    expect(restoreBounds({ width: 10, height: 10, maximized: false }, screen)).toEqual(MIN_SIZE);
  });
});

describe('command-line switches', () => {
  const target = (initial: Record<string, string> = {}) => {
    const m = new Map(Object.entries(initial));
    return { m, appendSwitch: (n: string, v?: string) => void m.set(n, v ?? ''), hasSwitch: (n: string) => m.has(n), getSwitchValue: (n: string) => m.get(n) ?? '' };
  };
  it('prefers Wayland with client-side decorations', () => {
    const t = target();
    applySwitches(t, {});
    expect(t.m.get('ozone-platform-hint')).toBe('auto');
    expect(t.m.get('enable-features')).toBe('WaylandWindowDecorations');
  });
  it('merges with features and respects an ozone hint the user already gave', () => {
    const t = target({ 'enable-features': 'VaapiVideoDecoder', 'ozone-platform-hint': 'x11' });
    applySwitches(t, {});
    expect(t.m.get('enable-features')!.split(',').sort()).toEqual(['VaapiVideoDecoder', 'WaylandWindowDecorations']);
    expect(t.m.get('ozone-platform-hint')).toBe('x11');
  });
  it('NOVA_OZONE=x11 forces XWayland', () => {
    expect(appSwitches({ NOVA_OZONE: 'x11' })[0]).toEqual(['ozone-platform-hint', 'x11']);
  });
});

describe('menus and tray', () => {
  const actions = (): MenuActions => ({ showWindow: vi.fn(), quit: vi.fn(), reload: vi.fn(), toggleDevTools: vi.fn(), openDataFolder: vi.fn(), about: vi.fn(), setNotificationsMuted: vi.fn() });
  const labels = (t: ReturnType<typeof appMenuTemplate>): string[] => t.flatMap((i) => [i.label ?? i.role ?? '', ...(Array.isArray(i.submenu) ? labels(i.submenu) : [])]);
  it('offers developer tools only in development', () => {
    expect(labels(appMenuTemplate(actions(), { dev: false, notificationsMuted: false }))).not.toContain('Toggle Developer Tools');
    expect(labels(appMenuTemplate(actions(), { dev: true, notificationsMuted: false }))).toContain('Toggle Developer Tools');
  });
  it('the tray mute checkbox reflects and changes the preference', () => {
    const a = actions();
    const item = trayMenuTemplate(a, { dev: false, notificationsMuted: true }).find((i) => i.label === 'Mute Notifications')!;
    expect(item.checked).toBe(true);
    (item.click as (i: { checked: boolean }) => void)({ checked: false });
    expect(a.setNotificationsMuted).toHaveBeenCalledWith(false);
  });
  it('shows a tray icon only where the desktop can display it', () => {
    expect(traySupported({ XDG_CURRENT_DESKTOP: 'KDE', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }, 'linux')).toBe(true);
    expect(traySupported({ XDG_CURRENT_DESKTOP: 'GNOME', DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' }, 'linux')).toBe(false);
    expect(traySupported({ XDG_CURRENT_DESKTOP: 'sway' }, 'linux')).toBe(false);
    expect(traySupported({ NOVA_TRAY: '1' }, 'linux')).toBe(true);
  });
});
