import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import { forClient } from '../core/rpc/bus.js';
import { consoleAcceptor, consoleTarget } from '../core/vm/console-relay.js';
import { NovaError } from '../shared/errors.js';
import { cookieFrom, hostAllowed, newToken, originAllowed, tokenFrom, tokenMatches } from './auth.js';
import { errorReply, eventNotification, handleMessage } from './jsonrpc.js';
import { MAX_IN_FLIGHT, MAX_MESSAGE_BYTES, PerAddress, RateLimiter } from './limits.js';
import { SESSION_COOKIE, Sessions, sessionCookie } from './session.js';
import { staticSite } from './static.js';
import type { StaticSite } from './static.js';
import { serveApi, serveMcp, serveOpenApi } from './faces/http.js';
import { serveMetrics } from './metrics-http.js';
import { listenUnix } from './unix.js';
import { serveIsoUpload, UPLOAD_ISO_PATH } from './upload.js';
import type { UnixListeners } from './unix.js';

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
  /** Host names answered besides loopback and the bound address (`--allow-host`). */
  allowedHosts?: string[];
  /** MCP on /mcp offers the tools that change the host too (`--mcp-allow-write`). */
  mcpAllowWrite?: boolean;
  /** The current project's NovaFile, an MCP resource. */
  novafile?: string;
  /** Also (or only, with `tcp: false`) serve on this 0600 unix socket, for remote hosts over SSH. */
  socket?: string;
  /** Listen on TCP host:port (default true); false with `socket` opens no port at all. */
  tcp?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  token: string;
  /** The unix socket, when served on one. */
  socket?: string;
  close(): Promise<void>;
}

/** A client that does not read its events gets cut off rather than buffered without end. */
const MAX_UNSENT_BYTES = 16 * 1024 * 1024;

interface Refusal {
  status: number;
  why: string;
}

/** What every part of the server shares: options, the bound host, the token and sessions. */
interface ServerCtx {
  opts: ServeOptions;
  engine: Engine;
  host: string;
  token: string;
  sessions: Sessions;
  httpRate: PerAddress;
  /** The built renderer, in memory (undefined: API only). */
  site?: StaticSite;
}

interface Auth {
  /** The Host header is not one of ours (DNS rebinding): refused before anything else. */
  misdirected(req: IncomingMessage): Refusal | undefined;
  /** The token, or our own page's session cookie (only with our own Origin: no cross-site use). */
  refuse(req: IncomingMessage): Refusal | undefined;
}

/** `nova serve`: the built renderer plus the contract as JSON-RPC over WebSocket and HTTP POST on /rpc. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const ctx: ServerCtx = { opts, engine: opts.engine, host, token: opts.token ?? newToken(), sessions: new Sessions(), httpRate: new PerAddress(),
    ...(opts.staticDir ? { site: staticSite(opts.staticDir) } : {}) };
  const auth = authOf(ctx);
  const hub = clientHub(ctx.engine);
  const consoles = consoleAcceptor(ctx.engine.dispatcher);
  const route = router(ctx, auth);
  const upgrade = upgrader(auth, hub, consoles);
  const servers: Server[] = [];
  let unix: UnixListeners | undefined;
  const tcp = opts.tcp !== false || !opts.socket;
  let port = 0;
  try {
    if (tcp) {
      const http = httpServer(route);
      http.on('upgrade', upgrade);
      servers.push(http);
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(opts.port ?? 0, host, () => resolve());
      });
      port = (http.address() as AddressInfo).port;
    }
    if (opts.socket) {
      const http = httpServer(route);
      http.on('upgrade', upgrade);
      unix = await listenUnix(http, opts.socket, ctx.token);
      servers.push(http);
    }
  } catch (e) {
    hub.close();
    consoles.close();
    for (const http of servers) http.close();
    throw e;
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: tcp ? `http://${shownHost}:${port}` : `unix:${opts.socket}`,
    port,
    host,
    token: ctx.token,
    ...(opts.socket ? { socket: opts.socket } : {}),
    close: async () => {
      hub.close();
      consoles.close();
      await unix?.close();
      for (const http of servers) {
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      }
    },
  };
}

function authOf({ opts, host, token, sessions }: ServerCtx): Auth {
  const misdirected = (req: IncomingMessage): Refusal | undefined =>
    hostAllowed(req, host, opts.allowedHosts) ? undefined : { status: 421, why: `Host "${String(req.headers.host ?? '')}" is not one of this server's names (add it with --allow-host)` };
  return {
    misdirected,
    refuse(req) {
      const wrongHost = misdirected(req);
      if (wrongHost) return wrongHost;
      if (!originAllowed(req, opts.allowedOrigins)) return { status: 403, why: 'foreign Origin' };
      if (tokenMatches(tokenFrom(req), token)) return undefined;
      if (req.headers.origin && sessions.valid(cookieFrom(req, SESSION_COOKIE))) return undefined;
      return { status: 401, why: 'missing or wrong token' };
    },
  };
}

/** The HTTP server, hardened against broken clients; `route` answers every request. */
function httpServer(route: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Server {
  const http = createServer((req, res) => {
    void route(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end(`internal error: ${(e as Error).message}\n`);
    });
  });
  http.maxConnections = 1024;
  // A broken client connection (reset, garbage before the request line) is that client's problem.
  http.on('clientError', (_e, socket: Socket) => socket.destroy());
  http.on('connection', (socket: Socket) => socket.on('error', () => socket.destroy()));
  return http;
}

/** Answers without reading the body: the connection closes after, so the rest is never read. */
const refuseHttp = (res: ServerResponse, no: Refusal): void =>
  void res.writeHead(no.status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(errorReply(null, new NovaError('PERMISSION', `refused: ${no.why}`))));

/** Plain HTTP: health, session sign-in, the API faces (authenticated), then the static UI. */
function router(ctx: ServerCtx, auth: Auth) {
  const { opts } = ctx;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    const wrongHost = auth.misdirected(req);
    if (wrongHost) return refuseHttp(res, wrongHost);
    if (path === '/session') return redeemSession(ctx.sessions, url, res);
    if (path === '/openapi.json' && (req.method === 'GET' || req.method === 'HEAD')) return serveOpenApi(res);
    if (path === '/metrics') return serveMetrics(ctx.engine, req, res, auth.refuse(req));
    const api = path.startsWith('/api/') ? path.slice(5) : undefined;
    if (path === '/session/code' || path === '/rpc' || path === '/mcp' || api !== undefined) {
      const no = auth.refuse(req);
      if (no) return refuseHttp(res, no);
      return servePost(ctx, req, res, path, api);
    }
    if (path.startsWith(UPLOAD_ISO_PATH)) {
      const no = auth.refuse(req);
      if (no) return refuseHttp(res, no);
      if (ctx.httpRate.take(req.socket.remoteAddress ?? '') > 0) return void res.writeHead(429, { connection: 'close' }).end();
      return serveIsoUpload(ctx.engine, req, res, path.slice(UPLOAD_ISO_PATH.length));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { connection: 'close' }).end();
    if (!ctx.site) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no UI in this server (API only)\n');
    await ctx.site.serve(path, req, res);
  };
}

/** An authenticated POST: rate-limited per address, body size-capped, then the face it names. */
async function servePost(ctx: ServerCtx, req: IncomingMessage, res: ServerResponse, path: string, api: string | undefined): Promise<void> {
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST', connection: 'close' }).end();
  const wait = ctx.httpRate.take(req.socket.remoteAddress ?? '');
  if (wait > 0) return void res.writeHead(429, { 'retry-after': String(Math.ceil(wait / 1000)), connection: 'close' }).end();
  if (path === '/session/code') {
    // Codes are for token holders only (a session cookie cannot mint more sessions).
    if (!tokenMatches(tokenFrom(req), ctx.token)) return refuseHttp(res, { status: 401, why: 'a one-time code needs the token' });
    return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: ctx.sessions.issueCode() }));
  }
  const body = await readBody(req);
  if (body === undefined) return void res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' }).end(`request body over ${MAX_MESSAGE_BYTES} bytes\n`);
  const faces = { dispatcher: ctx.engine.dispatcher, mcpAllowWrite: Boolean(ctx.opts.mcpAllowWrite), novafile: ctx.opts.novafile };
  if (api !== undefined) return serveApi(api, body, res, faces);
  if (path === '/mcp') return serveMcp(req, res, body, faces);
  const reply = await handleMessage(body, { dispatcher: ctx.engine.dispatcher, transport: 'http' });
  return void res.writeHead(reply ? 200 : 204, { 'content-type': 'application/json' }).end(reply ? JSON.stringify(reply) : undefined);
}

/** GET /session?code=…: a valid one-time code becomes the session cookie, then the app. */
function redeemSession(sessions: Sessions, url: URL, res: ServerResponse): void {
  const id = sessions.redeem(url.searchParams.get('code'));
  if (!id) {
    res.writeHead(403, { 'content-type': 'text/plain' }).end('This sign-in link was already used or has expired. Run `npm start` again.\n');
    return;
  }
  res.writeHead(303, { location: '/', 'set-cookie': sessionCookie(id), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
}

/** WebSocket upgrades: /rpc and VM consoles (/console/NAME) pass the same checks as the API. */
function upgrader(auth: Auth, hub: ClientHub, consoles: ReturnType<typeof consoleAcceptor>) {
  return (req: IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    const vm = consoleTarget(req.url);
    const no = path === '/rpc' || vm ? auth.refuse(req) : { status: 404, why: 'not found' };
    if (no) {
      socket.end(`HTTP/1.1 ${no.status} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    if (vm) return void consoles.accept(req, socket, head, vm).catch(() => socket.destroy());
    hub.upgrade(req, socket, head);
  };
}

interface ClientHub {
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  close(): void;
}

/**
 * The WebSocket clients of /rpc. Events go out through one bus listener: each event is redacted
 * and serialised once, then the same text is sent to every client it is for (per-client work
 * made the soak's p99 grow with the number of clients).
 */
function clientHub(engine: Engine): ClientHub {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: (p) => (p.has('nova.rpc') ? 'nova.rpc' : false) });
  const clients = new Map<WebSocket, string>();
  const sendText = (ws: WebSocket, text: string) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_UNSENT_BYTES) return void ws.terminate();
    ws.send(text);
  };
  const off = engine.bus.onAny((event, payload, to) => {
    let text: string | undefined;
    // Events addressed to another connection (its terminal's output) never reach this one.
    for (const [ws, client] of clients) if (forClient(client, to)) sendText(ws, (text ??= JSON.stringify(eventNotification(event, payload))));
  });
  const onConnection = (ws: WebSocket): void => {
    const client = `ws:${randomBytes(12).toString('base64url')}`;
    clients.set(ws, client);
    engine.bus.viewer(1); // samplers run while someone can see them
    const abort = new AbortController();
    const gate = flowGate(ws);
    // Bad frames (unmasked, reserved bits, bad UTF-8, over maxPayload) end up here: ws has
    // already answered with a close code; only this client goes.
    ws.on('error', () => ws.terminate());
    ws.on('message', (data) => {
      gate.admit(async () => {
        const reply = await handleMessage(String(data), { dispatcher: engine.dispatcher, transport: 'ws', client, signal: abort.signal });
        if (reply) sendText(ws, JSON.stringify(reply));
      });
    });
    ws.on('close', () => {
      abort.abort();
      gate.stop();
      if (clients.delete(ws)) engine.bus.viewer(-1);
    });
  };
  return {
    upgrade: (req, socket, head) => wss.handleUpgrade(req, socket, head, onConnection),
    close() {
      off();
      for (const ws of clients.keys()) ws.terminate();
      wss.close();
    },
  };
}

/**
 * Per-client flow control: requests beyond the rate, or beyond MAX_IN_FLIGHT running at once,
 * pause reading from that client's socket (TCP pushes back on it) instead of queueing in memory.
 */
function flowGate(ws: WebSocket) {
  const limiter = new RateLimiter();
  let inFlight = 0;
  let timer: NodeJS.Timeout | undefined;
  let paused = false;
  const pause = () => {
    if (!paused) ws.pause();
    paused = true;
  };
  const maybeResume = () => {
    if (paused && !timer && inFlight < MAX_IN_FLIGHT) {
      paused = false;
      ws.resume();
    }
  };
  return {
    admit(run: () => Promise<void>): void {
      inFlight++;
      const wait = limiter.take();
      if (wait > 0 || inFlight >= MAX_IN_FLIGHT) pause();
      const go = () => {
        void run()
          .catch(() => undefined)
          .finally(() => {
            inFlight--;
            maybeResume();
          });
      };
      if (wait <= 0) return go();
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        maybeResume();
      }, wait);
      setTimeout(go, wait);
    },
    stop: () => clearTimeout(timer),
  };
}

/** The body as text, or undefined when it is larger than allowed (reading stops at once). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_MESSAGE_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_MESSAGE_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(undefined);
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
