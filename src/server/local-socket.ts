// The engine's local socket: `nova serve` (and anything else that runs a long-lived engine) also
// answers JSON-RPC `POST /rpc` on <runtime>/api.sock, so a new `nova` process of the same user
// asks it instead of building an engine of its own (Docker/podman-remote style).
// - The socket is 0600 in the user's runtime folder (0700), bound under umask 077: no other
//   user can connect. A token (random per start, 0600 file beside the socket) is required too,
//   so a socket left reachable by mistake still answers nobody else.
// - Another live engine's socket is never taken over; a stale one (its server died) is replaced.
// - Same JSON-RPC handling as the TCP face (handleMessage): calls count as remote.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Dispatcher } from '../core/rpc/dispatcher.js';
import { writeFileAtomic } from '../core/sys/atomic.js';
import type { NovaPaths } from '../core/sys/paths.js';
import { newToken, tokenFrom, tokenMatches } from './auth.js';
import { handleMessage } from './jsonrpc.js';

const MAX_BODY = 1024 * 1024;

export const localSocketPaths = (paths: NovaPaths) => ({ socket: `${paths.runtime}/api.sock`, token: `${paths.runtime}/api.token` });

export interface LocalSocket {
  path: string;
  close(): Promise<void>;
}

/** True when a server answers on the socket (a live engine owns it). */
function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/healthz', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(body));
}

function handler(dispatcher: Dispatcher, token: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (req.url !== '/rpc') return reply(res, 404, { error: 'only POST /rpc here' });
    if (req.method !== 'POST') return reply(res, 405, { error: 'POST only' });
    if (!tokenMatches(tokenFrom(req), token)) return reply(res, 401, { error: 'missing or wrong token' });
    let body = '';
    let size = 0;
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      size += Buffer.byteLength(d);
      if (size > MAX_BODY) req.destroy();
      else body += d;
    });
    req.on('end', () => {
      void handleMessage(body, { dispatcher, transport: 'http' }).then(
        (r) => reply(res, 200, r ?? null),
        () => reply(res, 500, { error: 'internal error' }),
      );
    });
  };
}

/**
 * Listens on <runtime>/api.sock; undefined when another live engine already does (it keeps it).
 * Call close() to remove the socket and token again.
 */
export async function startLocalSocket(dispatcher: Dispatcher, paths: NovaPaths): Promise<LocalSocket | undefined> {
  const p = localSocketPaths(paths);
  mkdirSync(paths.runtime, { recursive: true, mode: 0o700 });
  if (existsSync(p.socket)) {
    if (await answers(p.socket)) return undefined;
    rmSync(p.socket, { force: true }); // stale: its server is gone
  }
  const token = newToken();
  const server: Server = createServer(handler(dispatcher, token));
  server.on('clientError', (_e, s) => s.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const mask = process.umask(0o177); // the socket is created 0600, never briefly wider
    try {
      server.listen(p.socket, () => resolve());
    } finally {
      process.umask(mask);
    }
  });
  chmodSync(p.socket, 0o600);
  await writeFileAtomic(p.token, `${token}\n`, { mode: 0o600 });
  return {
    path: p.socket,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      // Only what is still ours: a newer engine may have taken the place meanwhile.
      const now = (() => {
        try {
          return readFileSync(p.token, 'utf8').trim();
        } catch {
          return undefined;
        }
      })();
      if (now === token) rmSync(p.token, { force: true });
      if (!(await answers(p.socket))) rmSync(p.socket, { force: true });
    },
  };
}
