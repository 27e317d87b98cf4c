import WebSocket from 'ws';
import { NovaError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import type { RawBridge } from '../shared/bridge.js';

/** A Node WebSocket client for `nova serve` (tests, benches, scripts). */
export async function connectNode(url: string, token: string, origin?: string): Promise<RawBridge & { close(): void }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/rpc`, ['nova.rpc'], {
    headers: { authorization: `Bearer ${token}`, ...(origin ? { origin } : {}) },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new NovaError('PERMISSION', `server refused: HTTP ${res.statusCode}`)));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string; data?: { code: ErrorCode; details?: unknown } }; method?: string; params?: { event: string; payload: unknown } };
    if (msg.method === 'event' && msg.params) {
      for (const fn of listeners.get(msg.params.event) ?? []) fn(msg.params.payload);
      return;
    }
    const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new NovaError(msg.error.data?.code ?? 'INTERNAL', msg.error.message, msg.error.data?.details));
    else p.resolve(msg.result);
  });
  // After the handshake a reset (server restart, a cut-off) must fail the pending calls through
  // 'close', not crash the process with an unhandled 'error' event.
  ws.on('error', () => undefined);
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new NovaError('INTERNAL', 'connection closed'));
    pending.clear();
  });
  return {
    call(method, input) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: input }));
      });
    },
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn);
      return () => set!.delete(fn);
    },
    close: () => ws.close(),
  };
}
