import { contextBridge, ipcRenderer, webUtils } from 'electron';

// The only door between the page and the engine: call(method, input), on(event, fn) and the
// console relay's address (consoleEndpoint), and the host path of a file the user dropped or
// picked (pathForFile: an ISO for the VM wizard; Electron no longer puts it on File objects).
// The page never gets ipcRenderer itself, only these two functions with fixed channels.
let readySent = false;
const announceReady = () => {
  if (readySent) return;
  readySent = true;
  // After the current task: every on() made while the page mounts is registered before the
  // main process flushes the events it queued during start-up.
  setTimeout(() => ipcRenderer.send('nova:ready'), 0);
};

contextBridge.exposeInMainWorld('nova', {
  call: (method: string, input: unknown) => ipcRenderer.invoke('nova:call', String(method), input),
  // Where the main process relays a VM console, with the secret that signs the WebSocket in.
  consoleEndpoint: (vm: string) => ipcRenderer.invoke('nova:console', String(vm)),
  pathForFile: (file: File) => webUtils.getPathForFile(file),
  on: (event: string, fn: (payload: unknown) => void) => {
    const listener = (_e: unknown, name: string, payload: unknown) => {
      if (name === event) fn(payload);
    };
    ipcRenderer.on('nova:event', listener);
    announceReady();
    return () => void ipcRenderer.removeListener('nova:event', listener);
  },
});
// A page that never subscribes still releases the queue once it has loaded.
window.addEventListener('load', () => setTimeout(announceReady, 1000));
