import { contextBridge, ipcRenderer } from 'electron';

// The only door between the page and the engine: call(method, input) and on(event, fn).
contextBridge.exposeInMainWorld('nova', {
  call: (method: string, input: unknown) => ipcRenderer.invoke('nova:call', method, input),
  on: (event: string, fn: (payload: unknown) => void) => {
    const listener = (_e: unknown, name: string, payload: unknown) => {
      if (name === event) fn(payload);
    };
    ipcRenderer.on('nova:event', listener);
    return () => ipcRenderer.removeListener('nova:event', listener);
  },
});
ipcRenderer.send('nova:ready');
