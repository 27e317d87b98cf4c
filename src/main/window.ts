import { BrowserWindow, screen } from 'electron';
import type { Rectangle } from 'electron';
import type { Prefs } from '../shared/contract/prefs.js';

export type WindowPrefs = NonNullable<Prefs['window']>;

export const DEFAULT_SIZE = { width: 1280, height: 800 };
export const MIN_SIZE = { width: 900, height: 600 };

/** The hardened window options; exported for the security tests. */
export function windowOptions(preloadPath: string, bounds: Partial<Rectangle> = DEFAULT_SIZE, icon?: string): Electron.BrowserWindowConstructorOptions {
  return {
    ...DEFAULT_SIZE,
    ...bounds,
    minWidth: MIN_SIZE.width,
    minHeight: MIN_SIZE.height,
    // Shown on ready-to-show: no white flash, and the first paint is the real UI shell.
    show: false,
    title: 'Nova',
    backgroundColor: '#24283b',
    autoHideMenuBar: true,
    ...(icon ? { icon } : {}),
    webPreferences: {
      preload: preloadPath,
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
      // Middle-click on a link must not open anything (new windows are denied anyway).
      disableBlinkFeatures: 'Auxclick',
    },
  };
}

const intersects = (a: Rectangle, b: Rectangle) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * Where to open: the remembered size always; the remembered position only when it still lands
 * on a connected display (a monitor may have gone). Wayland ignores positions anyway.
 */
export function restoreBounds(saved: WindowPrefs | undefined, workAreas: Rectangle[]): Partial<Rectangle> {
  if (!saved) return { ...DEFAULT_SIZE };
  const width = Math.max(MIN_SIZE.width, Math.round(saved.width));
  const height = Math.max(MIN_SIZE.height, Math.round(saved.height));
  if (saved.x === undefined || saved.y === undefined) return { width, height };
  const rect = { x: Math.round(saved.x), y: Math.round(saved.y), width, height };
  return workAreas.some((w) => intersects(rect, w)) ? rect : { width, height };
}

/** The window's state as a `window` preference (normal bounds even while maximized). */
export function currentBounds(win: BrowserWindow): WindowPrefs {
  const b = win.getNormalBounds();
  return { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
}

export interface MainWindowOptions {
  preloadPath: string;
  /** nova://app/index.html, or the dev server's URL in development. */
  url: string;
  saved?: WindowPrefs;
  icon?: string;
  /** Persist bounds (debounced here). */
  saveBounds(b: WindowPrefs): void;
}

export function createMainWindow(o: MainWindowOptions): BrowserWindow {
  const bounds = restoreBounds(o.saved, screen.getAllDisplays().map((d) => d.workArea));
  const opts = windowOptions(o.preloadPath, bounds, o.icon);
  // The security-critical preferences spelled out at the call site too, so a reviewer (and
  // static scanners such as Electronegativity) see them where the window is created.
  const win = new BrowserWindow({
    ...opts,
    webPreferences: { ...opts.webPreferences, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, disableBlinkFeatures: 'Auxclick' },
  });
  win.once('ready-to-show', () => {
    if (o.saved?.maximized) win.maximize();
    win.show();
  });
  let timer: NodeJS.Timeout | undefined;
  const persist = () => {
    clearTimeout(timer);
    timer = setTimeout(() => !win.isDestroyed() && o.saveBounds(currentBounds(win)), 400);
  };
  for (const ev of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(ev as 'resize', persist);
  win.on('close', () => {
    clearTimeout(timer);
    o.saveBounds(currentBounds(win));
  });
  void win.loadURL(o.url);
  return win;
}
