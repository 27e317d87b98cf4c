import { ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import type { Engine } from '../core/engine.js';
import { forClient } from '../core/rpc/bus.js';
import { NovaError } from '../shared/errors.js';
import type { Result } from '../shared/errors.js';
import type { ConsoleEndpoint } from '../shared/bridge.js';
import { isAppUrl } from './security.js';

export const CHANNEL_CALL = 'nova:call';
export const CHANNEL_EVENT = 'nova:event';
export const CHANNEL_READY = 'nova:ready';
export const CHANNEL_CONSOLE = 'nova:console';
/** The app window as a client of the engine (events addressed to it, e.g. its terminals). */
const IPC_CLIENT = 'ipc:window';

/**
 * Binds the engine's dispatcher to Electron IPC. Every call is checked to come from our own
 * window's main frame (no iframes, no other windows) showing our own page (`appUrl`); events are
 * queued until the renderer says it is ready, so nothing published during start-up is lost.
 */
/** Where the console relay is and its secret: told only to our own window's main frame. */
export type ConsoleEndpoints = (vm: string) => ConsoleEndpoint;

export function bindIpc(engine: Engine, getWindow: () => BrowserWindow | undefined, appUrl?: string, consoles?: ConsoleEndpoints): () => void {
  let ready = false;
  const queue: [string, unknown][] = [];

  const trusted = (e: { sender: Electron.WebContents; senderFrame: Electron.WebFrameMain | null }) => {
    const win = getWindow();
    const frame = e.senderFrame;
    if (!win || win.isDestroyed() || e.sender !== win.webContents || !frame || frame !== win.webContents.mainFrame) return false;
    return appUrl === undefined || isAppUrl(frame.url, appUrl);
  };

  ipcMain.handle(CHANNEL_CALL, async (e: IpcMainInvokeEvent, method: unknown, input: unknown): Promise<Result<unknown>> => {
    if (!trusted(e)) return { ok: false, error: new NovaError('PERMISSION', 'IPC call from an untrusted frame refused').toJSON() };
    if (typeof method !== 'string') return { ok: false, error: new NovaError('INVALID_INPUT', 'method must be a string').toJSON() };
    return engine.dispatcher.call(method, input, { transport: 'ipc', client: IPC_CLIENT });
  });

  ipcMain.handle(CHANNEL_CONSOLE, (e: IpcMainInvokeEvent, vm: unknown): Result<ConsoleEndpoint> => {
    if (!trusted(e)) return { ok: false, error: new NovaError('PERMISSION', 'IPC call from an untrusted frame refused').toJSON() };
    if (typeof vm !== 'string') return { ok: false, error: new NovaError('INVALID_INPUT', 'vm must be a string').toJSON() };
    if (!consoles) return { ok: false, error: new NovaError('HOST_UNSUPPORTED', 'no console relay in this window').toJSON() };
    return { ok: true, value: consoles(vm) };
  });

  const send = (event: string, payload: unknown) => {
    const win = getWindow();
    if (win && !win.isDestroyed()) win.webContents.send(CHANNEL_EVENT, event, payload);
  };
  const onReady = (e: Electron.IpcMainEvent) => {
    if (!trusted(e)) return;
    // A reload starts a new page: queue again until it subscribes.
    if (!ready) e.sender.once('did-start-loading', () => (ready = false));
    ready = true;
    for (const [event, payload] of queue.splice(0)) send(event, payload);
  };
  ipcMain.on(CHANNEL_READY, onReady);
  // The app's window shows the dashboard's graphs: samplers run while it is there.
  engine.bus.viewer(1);
  const off = engine.bus.onAny((event, payload, to) => {
    if (!forClient(IPC_CLIENT, to)) return;
    if (ready) send(event, payload);
    else if (queue.length < 1000) queue.push([event, payload]);
  });

  return () => {
    off();
    engine.bus.viewer(-1);
    ipcMain.removeHandler(CHANNEL_CALL);
    ipcMain.removeHandler(CHANNEL_CONSOLE);
    ipcMain.removeListener(CHANNEL_READY, onReady);
  };
}
