// The HTTP faces of /metrics: the API server's route and `nova serve --metrics-listen`'s own
// listener (loopback, no token, Host checked, browsers refused). The model is in metrics.ts.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Engine } from '../core/engine.js';
import { hostAllowed } from './auth.js';
import { metricsFor } from './metrics.js';

async function answer(engine: Engine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD', connection: 'close' }).end();
  const m = metricsFor(engine);
  const text = await m.render();
  res.writeHead(200, { 'content-type': m.registry.contentType, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text);
}

/**
 * GET /metrics on the API server. `refusal` is the server's own verdict on the request (Host,
 * Origin, token or session cookie), given by its route: nothing is read before it passed.
 */
export function serveMetrics(engine: Engine, req: IncomingMessage, res: ServerResponse, refusal: { status: number; why: string } | undefined): Promise<void> {
  if (refusal) {
    res.writeHead(refusal.status, { 'content-type': 'text/plain', connection: 'close', ...(refusal.status === 401 ? { 'www-authenticate': 'Bearer realm="nova"' } : {}) }).end(`refused: ${refusal.why}\n`);
    return Promise.resolve();
  }
  return answer(engine, req, res);
}

export interface MetricsListener {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** "9464", ":9464", "127.0.0.1:9464", "[::1]:9464" → host and port; loopback when no host is given. */
export function parseListen(spec: string): { host: string; port: number } {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]*):)?(\d{1,5})$/.exec(spec.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new Error(`--metrics-listen: write [HOST:]PORT, e.g. 9464 or 127.0.0.1:9464 (got "${spec}")`);
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { host, port };
}

/**
 * `nova serve --metrics-listen`: only /metrics, no token (for a Prometheus that cannot hold one).
 * Loopback by default; Host is checked (no DNS rebinding) and browsers (any Origin) are refused.
 */
export async function startMetricsListener(engine: Engine, spec: string, allowedHosts: readonly string[] = []): Promise<MetricsListener> {
  const { host, port } = parseListen(spec);
  metricsFor(engine);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (!hostAllowed(req, host, allowedHosts)) return void res.writeHead(421, { 'content-type': 'text/plain', connection: 'close' }).end('refused: unknown Host\n');
    if (req.headers.origin) return void res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' }).end('refused: browsers are not served here\n');
    if (path !== '/metrics') return void res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
    answer(engine, req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' }).end(`internal error: ${(e as Error).message}\n`);
    });
  });
  server.on('clientError', (_e, socket: Socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    host,
    port: bound,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

