// The app's console relay: the Electron window has no `nova serve`, so the main process relays
// VM consoles itself on an ephemeral loopback port. Only our own page gets in: it must present a
// per-run secret (as a WebSocket subprotocol, handed over IPC to the trusted frame only), come
// from the app's Origin and name the port by its loopback address (no DNS rebinding).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Engine } from '../core/engine.js';
import { consoleAcceptor, consoleTarget } from '../core/vm/console-relay.js';
import { consolePath } from '../shared/bridge.js';
import type { ConsoleEndpoint } from '../shared/bridge.js';

const PROTOCOL_PREFIX = 'nova.token.';

export interface ConsoleProxy {
  endpoint(vm: string): ConsoleEndpoint;
  close(): Promise<void>;
}

const sameSecret = (given: string | undefined, secret: string) =>
  given !== undefined && timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(secret).digest());

/** `nova://app` for the packaged page (Node's URL gives "null" for custom schemes), the dev server's origin otherwise. */
export function originOf(appUrl: string): string {
  const u = new URL(appUrl);
  return `${u.protocol}//${u.host}`;
}

export async function startConsoleProxy(engine: Engine, appUrl: string): Promise<ConsoleProxy> {
  const secret = randomBytes(24).toString('base64url');
  const origin = originOf(appUrl);
  const consoles = consoleAcceptor(engine.dispatcher);
  const http = createServer((_req, res) => void res.writeHead(404, { connection: 'close' }).end());
  http.on('clientError', (_e, socket: Socket) => socket.destroy());
  let port = 0;

  const allowed = (req: IncomingMessage): boolean => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const token = offered.find((p) => p.startsWith(PROTOCOL_PREFIX))?.slice(PROTOCOL_PREFIX.length);
    return req.headers.host === `127.0.0.1:${port}` && req.headers.origin === origin && sameSecret(token, secret);
  };

  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const vm = consoleTarget(req.url);
    if (!vm || !allowed(req)) return void socket.end('HTTP/1.1 403 Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    consoles.accept(req, socket, head, vm).catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    endpoint: (vm) => ({ url: `ws://127.0.0.1:${port}${consolePath(vm)}`, protocols: ['binary', `${PROTOCOL_PREFIX}${secret}`] }),
    close: async () => {
      consoles.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
