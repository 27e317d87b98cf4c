import { app, BrowserWindow, dialog, Menu, Notification, protocol, session, shell } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../core/engine.js';
import type { Engine } from '../core/engine.js';
import { NOVA_VERSION } from '../core/host/probe.js';
import { jsonFilePrefs } from '../core/prefs/store.js';
import type { PrefsBackend } from '../core/prefs/store.js';
import { dirs, resolvePaths } from '../core/sys/paths.js';
import { startConsoleProxy } from './console.js';
import { bindIpc } from './ipc.js';
import { appMenuTemplate } from './menu.js';
import type { MenuActions, MenuState } from './menu.js';
import { startNotifier } from './notifications.js';
import { electronStorePrefs, openPrefsStore } from './prefs.js';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL, appProtocolHandler } from './protocol.js';
import { contentSecurityPolicy, secureContents, secureSession } from './security.js';
import { APP_DIR, APP_NAME, applySwitches, DESKTOP_FILE } from './switches.js';
import { createTray, traySupported } from './tray.js';
import type { AppTray } from './tray.js';
import { createMainWindow } from './window.js';

// The main process owns the engine; the renderer only reaches it through ipc.ts.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// Icons as real files (not inside app.asar): the notification daemon and the tray host are
// other processes that read them by path.
const iconDir = app.isPackaged && process.resourcesPath ? join(process.resourcesPath, 'icons') : join(outDir, '..', 'resources', 'icons');
const iconPath = join(iconDir, '256x256.png');
const trayIconPath = join(iconDir, '32x32.png');
// Only a development build may load the dev server: a packaged app ignores the variable, so an
// environment variable can never point the privileged preload at someone else's page.
const devUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
const appUrl = devUrl ?? APP_URL;
const paths = resolvePaths(process.env);

applySwitches(app.commandLine);
// Before `ready`: the renderer's own origin, nova://app (see protocol.ts).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
app.setName(APP_NAME);
// The Wayland app id, WM_CLASS and the notifications' desktop-entry hint (also when run from the
// sources, where no package.json desktopName may reach Electron).
if (process.platform === 'linux') app.setDesktopName(DESKTOP_FILE);
// Chromium's profile lives beside Nova's config, not in a folder named after the product.
app.setPath('userData', process.env.NOVA_HOME ? join(paths.config, 'electron') : join(app.getPath('appData'), APP_DIR, 'electron'));

let win: BrowserWindow | undefined;
let engine: Engine | undefined;
let tray: AppTray | undefined;

const showWindow = () => {
  if (!win || win.isDestroyed()) return;
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
};

const confirmExternal = async (url: string): Promise<boolean> => {
  const opts = { type: 'question' as const, buttons: ['Open in Browser', 'Cancel'], defaultId: 1, cancelId: 1, title: 'Open link', message: 'Open this link in your web browser?', detail: url };
  const r = win && !win.isDestroyed() ? await dialog.showMessageBox(win, opts) : await dialog.showMessageBox(opts);
  return r.response === 0;
};

async function prefsBackend(): Promise<PrefsBackend> {
  try {
    return electronStorePrefs(await openPrefsStore(paths.config));
  } catch (e) {
    // A hand-broken prefs.json: keep it (the plain backend reports it by name), never wipe it.
    process.emitWarning(`electron-store could not open prefs: ${(e as Error).message}`);
    return jsonFilePrefs(dirs.prefsFile(paths));
  }
}

async function start(): Promise<void> {
  secureSession(session.defaultSession, { appUrl, devUrl });
  if (!devUrl) protocol.handle(APP_SCHEME, appProtocolHandler(join(outDir, 'renderer'), contentSecurityPolicy()));
  engine = createEngine({ env: process.env, paths, prefsBackend: await prefsBackend() });
  const eng = engine;
  const consoles = await startConsoleProxy(eng, appUrl);
  bindIpc(eng, () => win, appUrl, (vm) => consoles.endpoint(vm));
  const prefs = await eng.prefs.get().catch(() => undefined);

  const state = (): MenuState => ({ dev: Boolean(devUrl), notificationsMuted: prefs ? !prefs.notifications : false });
  const actions: MenuActions = {
    showWindow,
    quit: () => app.quit(),
    reload: () => win?.webContents.reload(),
    toggleDevTools: () => win?.webContents.toggleDevTools(),
    openDataFolder: () => void shell.openPath(paths.data),
    about: () =>
      void dialog.showMessageBox({
        type: 'info',
        title: 'About Nova',
        message: `Nova ${NOVA_VERSION}`,
        detail: `Electron ${process.versions.electron}, Chromium ${process.versions.chrome}, Node ${process.versions.node}\nSession: ${process.env.XDG_SESSION_TYPE ?? 'unknown'} (WAYLAND_DISPLAY ${process.env.WAYLAND_DISPLAY ? 'set' : 'unset'})\nData: ${paths.data}`,
      }),
    setNotificationsMuted: (muted) => void eng.dispatcher.call('prefs.set', { key: 'notifications', value: !muted }, { transport: 'ipc' }),
  };
  const refreshMenus = () => {
    Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate(actions, state())));
    tray?.update(state());
  };
  eng.bus.on('prefs.changed', (p) => {
    if (prefs) prefs.notifications = p.notifications;
    refreshMenus();
  });

  win = createMainWindow({
    preloadPath: join(outDir, 'preload', 'index.cjs'),
    url: appUrl,
    saved: prefs?.window,
    icon: iconPath,
    saveBounds: (b) => void eng.prefs.set('window', b).catch(() => undefined),
  });
  refreshMenus();
  if (traySupported(process.env)) tray = createTray(trayIconPath, actions, state());

  startNotifier({
    bus: eng.bus,
    getPrefs: () => eng.prefs.get(),
    show: (n) => {
      if (!Notification.isSupported()) return;
      const note = new Notification({ title: n.title, body: n.body, icon: iconPath, urgency: n.level === 'error' ? 'critical' : 'normal' });
      note.on('click', showWindow);
      note.show();
    },
  });

  // Show the window first; probe the host and reconcile (hydrate, restart policies) after.
  win.once('show', () => {
    void eng.host.info().catch(() => undefined);
    void eng.start().catch((e: unknown) => eng.bus.emit('notification', { level: 'error', title: 'Nova could not start every service', body: (e as Error).message }));
  });
}

if (!app.requestSingleInstanceLock()) {
  // Another Nova is running: it gets focused (second-instance) and this one leaves quietly.
  app.quit();
} else {
  app.on('second-instance', showWindow);
  app.on('web-contents-created', (_e, contents) => secureContents(contents, { appUrl, confirmExternal, openExternal: (u) => shell.openExternal(u) }));
  app.on('window-all-closed', () => {
    // Closing the app never stops VMs or capsules: they run detached.
    tray?.destroy();
    void (engine?.close() ?? Promise.resolve()).finally(() => app.quit());
  });
  void app.whenReady().then(start).catch((e: unknown) => {
    dialog.showErrorBox('Nova could not start', (e as Error).stack ?? String(e));
    app.exit(1);
  });
}
