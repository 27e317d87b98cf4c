import { consolePath } from '../../shared/bridge.js';
import type { ConsoleEndpoint, NovaBridge } from '../../shared/bridge.js';
import { NovaError } from '../../shared/errors.js';
import type { Result } from '../../shared/errors.js';
import { rpcPeer } from '../../shared/rpc-peer.js';

interface PreloadApi {
  call(method: string, input: unknown): Promise<Result<unknown>>;
  on(event: string, fn: (payload: unknown) => void): () => void;
  /** The main process's console relay for a VM (loopback, a per-run secret subprotocol). */
  consoleEndpoint(vm: string): Promise<Result<ConsoleEndpoint>>;
  /** The host path of a file the user dropped or picked (Electron's webUtils). */
  pathForFile?(file: File): string;
}

declare global {
  interface Window {
    nova?: PreloadApi;
  }
}

/** In Electron: the preload's window.nova. */
function ipcBridge(api: PreloadApi): NovaBridge {
  return {
    call: async (method, input) => {
      const r = await api.call(method, input ?? {});
      if (!r.ok) throw NovaError.from(r.error);
      return r.value as never;
    },
    on: (event, fn) => api.on(event, fn as (p: unknown) => void),
    consoleEndpoint: async (vm) => {
      const r = await api.consoleEndpoint(vm);
      if (!r.ok) throw NovaError.from(r.error);
      return r.value;
    },
  };
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * In a browser on `nova serve`: JSON-RPC over WebSocket. Signed in either by the session cookie
 * (`npm start`'s window: a one-time code traded for an HttpOnly cookie the browser sends by
 * itself) or by the token from the URL fragment `nova serve` printed (#token=…, never sent to
 * the server in a request line), kept for this tab only.
 */
export function wsBridge(onState: (s: ConnectionState) => void = () => {}): NovaBridge {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem('nova.token', fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  const token = sessionStorage.getItem('nova.token') ?? '';
  let ws: WebSocket | undefined;
  let opened: Promise<WebSocket> | undefined;
  const peer = rpcPeer(async (text) => (ws ?? (await connect())).send(text));

  const connect = (): Promise<WebSocket> => {
    opened ??= new Promise((resolve, reject) => {
      onState('connecting');
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const sock = new WebSocket(`${proto}//${location.host}/rpc`, token ? ['nova.rpc', `nova.token.${token}`] : ['nova.rpc']);
      sock.onopen = () => {
        ws = sock;
        onState('open');
        resolve(sock);
      };
      sock.onmessage = (m) => peer.receive(String(m.data));
      sock.onclose = () => {
        onState('closed');
        const refused = token ? 'the engine refused the connection or is not running' : 'not signed in or the engine is not running: open the URL that `nova serve` printed, or run `npm start` again';
        // Calls waiting on a socket that never opened were refused (bad token), not lost.
        peer.failAll(ws === sock ? 'connection to the engine was lost' : refused);
        opened = undefined;
        ws = undefined;
        reject(new NovaError('PERMISSION', refused));
        // Reconnect so a restarted server picks up where we left.
        setTimeout(() => void connect().catch(() => undefined), 2000);
      };
    });
    return opened;
  };

  return {
    call: (method, input) => peer.call(method, input ?? {}) as never,
    on: (event, fn) => {
      const off = peer.on(event, fn as (p: unknown) => void);
      void connect().catch(() => undefined);
      return off;
    },
    // The console relay of the same server, signed in the same way (cookie, or the token).
    consoleEndpoint: (vm) =>
      Promise.resolve({
        url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${consolePath(vm)}`,
        protocols: token ? ['binary', `nova.token.${token}`] : ['binary'],
      }),
  };
}

/** Whichever bridge exists: Electron's preload, else the WebSocket of `nova serve`. */
export function createBridge(onState?: (s: ConnectionState) => void): NovaBridge {
  if (window.nova) {
    onState?.('open');
    return ipcBridge(window.nova);
  }
  return wsBridge(onState);
}
