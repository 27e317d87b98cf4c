import { app, BrowserWindow } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../core/engine.js';
import { bindIpc } from './ipc.js';
import { createMainWindow } from './window.js';

// The main process owns the engine; the renderer only reaches it through ipc.ts.
const outDir = join(dirname(fileURLToPath(import.meta.url)), '..');
let win: BrowserWindow | undefined;

app.commandLine.appendSwitch('ozone-platform-hint', 'auto');

void app.whenReady().then(async () => {
  const engine = createEngine();
  bindIpc(engine, () => win);
  win = createMainWindow(process.env.ELECTRON_RENDERER_URL, outDir);
  // Show the window first, reconcile host state after.
  void engine.start();
  app.on('window-all-closed', () => {
    // Closing the app never stops VMs or capsules: they run detached.
    void engine.close().finally(() => app.quit());
  });
});
