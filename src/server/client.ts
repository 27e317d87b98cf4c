import WebSocket from 'ws';
import { NovaError } from '../shared/errors.js';
import type { RawBridge } from '../shared/bridge.js';
import { rpcPeer } from '../shared/rpc-peer.js';

/** A Node WebSocket client for `nova serve` (tests, benches, scripts); `url` may be `ws+unix://SOCKET:` (`nova serve --socket`). */
export async function connectNode(url: string, token: string, origin?: string): Promise<RawBridge & { close(): void }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/rpc`, ['nova.rpc'], {
    headers: { authorization: `Bearer ${token}`, ...(url.startsWith('ws+unix:') ? { host: 'localhost' } : {}), ...(origin ? { origin } : {}) },
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new NovaError('PERMISSION', `server refused: HTTP ${res.statusCode}`)));
  });
  const peer = rpcPeer((text) => ws.send(text));
  ws.on('message', (data) => peer.receive(String(data)));
  // After the handshake a reset (server restart, a cut-off) must fail the pending calls through
  // 'close', not crash the process with an unhandled 'error' event.
  ws.on('error', () => undefined);
  ws.on('close', () => peer.failAll('connection closed'));
  return {
    call: (method, input) => peer.call(method, input),
    on: (event, fn) => peer.on(event, fn),
    close: () => ws.close(),
  };
}
