import { BrowserWindow, shell } from 'electron';
import { join } from 'node:path';

/** The hardened window options; exported for the security tests. */
export function windowOptions(preloadPath: string): Electron.BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    show: false,
    title: 'Nova',
    backgroundColor: '#24283b',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

export function createMainWindow(rendererUrl: string | undefined, outDir: string): BrowserWindow {
  const win = new BrowserWindow(windowOptions(join(outDir, 'preload', 'index.cjs')));
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app and no new windows; links open outside after the OS decides.
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (rendererUrl) void win.loadURL(rendererUrl);
  else void win.loadFile(join(outDir, 'renderer', 'index.html'));
  return win;
}
