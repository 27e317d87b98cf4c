// The client half of Nova's JSON-RPC 2.0 over WebSocket, written once for every client: the
// browser UI on `nova serve` (renderer/src/bridge.ts) and Node (server/client.ts: tests, benches).
// The socket stays with the caller; this keeps the ids, the pending calls and the event listeners.
import { NovaError } from './errors.js';
import type { ErrorCode } from './errors.js';

interface Incoming {
  id?: number;
  result?: unknown;
  error?: { message: string; data?: { code?: ErrorCode; details?: unknown } };
  method?: string;
  params?: { event: string; payload: unknown };
}

export interface RpcPeer {
  /** Sends one request; resolves with its result or rejects with the server's NovaError. */
  call(method: string, params: unknown): Promise<unknown>;
  /** Listens for an engine event the server pushes; returns the unsubscribe. */
  on(event: string, fn: (payload: unknown) => void): () => void;
  /** Hands over one text frame from the socket. */
  receive(text: string): void;
  /** The socket is gone: every pending call fails with this message. */
  failAll(message: string): void;
}

/** `send` writes one text frame, opening the socket first if it has to (its rejection fails the call). */
export function rpcPeer(send: (text: string) => void | Promise<void>): RpcPeer {
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  return {
    call(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        Promise.resolve()
          .then(() => send(JSON.stringify({ jsonrpc: '2.0', id, method, params })))
          .catch((e: unknown) => {
            pending.delete(id);
            reject(e);
          });
      });
    },
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn);
      return () => set.delete(fn);
    },
    receive(text) {
      const msg = JSON.parse(text) as Incoming;
      if (msg.method === 'event' && msg.params) {
        for (const fn of listeners.get(msg.params.event) ?? []) fn(msg.params.payload);
        return;
      }
      const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
      if (!p || msg.id === undefined) return;
      pending.delete(msg.id);
      if (msg.error) p.reject(new NovaError(msg.error.data?.code ?? 'INTERNAL', msg.error.message, msg.error.data?.details));
      else p.resolve(msg.result);
    },
    failAll(message) {
      for (const p of pending.values()) p.reject(new NovaError('INTERNAL', message));
      pending.clear();
    },
  };
}
