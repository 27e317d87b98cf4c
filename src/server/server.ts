import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import { NovaError } from '../shared/errors.js';
import { newToken, originAllowed, tokenFrom, tokenMatches } from './auth.js';
import { errorReply, eventNotification, handleMessage } from './jsonrpc.js';
import { serveStatic } from './static.js';

export interface ServeOptions {
  engine: Engine;
  host?: string;
  port?: number;
  /** Fixed token (from --token-file); a random one per run otherwise. */
  token?: string;
  /** The built renderer (out/renderer). */
  staticDir?: string;
  /** Extra browser origins allowed besides our own page (e.g. a dev server). */
  allowedOrigins?: string[];
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

/** `nova serve`: the built renderer plus the contract as JSON-RPC over WebSocket and HTTP POST on /rpc. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const { engine } = opts;
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY, handleProtocols: (p) => (p.has('nova.rpc') ? 'nova.rpc' : false) });
  const sockets = new Set<WebSocket>();

  const refuse = (req: IncomingMessage): { status: number; why: string } | undefined => {
    if (!originAllowed(req, opts.allowedOrigins)) return { status: 403, why: 'foreign Origin' };
    if (!tokenMatches(tokenFrom(req), token)) return { status: 401, why: 'missing or wrong token' };
    return undefined;
  };

  const http = createServer((req, res) => {
    void route(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(e as Error).message}\n`);
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/rpc') {
      const no = refuse(req);
      if (no) {
        res.writeHead(no.status, { 'content-type': 'application/json' }).end(JSON.stringify(errorReply(null, new NovaError('PERMISSION', `refused: ${no.why}`))));
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      const body = await readBody(req);
      const reply = await handleMessage(body, engine.dispatcher, 'http');
      res.writeHead(reply ? 200 : 204, { 'content-type': 'application/json' }).end(reply ? JSON.stringify(reply) : undefined);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    if (!opts.staticDir) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no UI in this server (API only)\n');
      return;
    }
    await serveStatic(opts.staticDir, path ?? '/', res);
  }

  http.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '/').split('?')[0];
    const no = path === '/rpc' ? refuse(req) : { status: 404, why: 'not found' };
    if (no) {
      socket.end(`HTTP/1.1 ${no.status} ${no.status === 401 ? 'Unauthorized' : no.status === 403 ? 'Forbidden' : 'Not Found'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    const abort = new AbortController();
    const off = engine.bus.onAny((event, payload) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(eventNotification(event, payload)));
    });
    ws.on('message', (data) => {
      void handleMessage(String(data), engine.dispatcher, 'ws', abort.signal).then((reply) => {
        if (reply && ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply));
      });
    });
    ws.on('close', () => {
      off();
      abort.abort();
      sockets.delete(ws);
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    host,
    token,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new NovaError('INVALID_INPUT', 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
