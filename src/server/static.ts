import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { THEME_BOOT_HASH } from '../shared/csp.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

// The same CSP the Electron window uses, plus ws: to our own origin for /rpc.
export const CSP =
  `default-src 'self'; script-src 'self' ${THEME_BOOT_HASH}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;

/** Serves the built renderer; unknown paths fall back to index.html (client-side routes). */
export async function serveStatic(root: string, urlPath: string, res: ServerResponse): Promise<void> {
  const file = (await insideRoot(root, urlPath)) ?? (await insideRoot(root, '/index.html'));
  if (!file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('The renderer is not built. Run `npm run build`.\n');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  });
  createReadStream(file).pipe(res);
}

/**
 * The regular file a URL path names, only if it really lies inside root: `..` is cut and
 * symlinks are resolved first, so a link pointing out of the folder serves nothing.
 */
async function insideRoot(root: string, urlPath: string): Promise<string | undefined> {
  let rel: string;
  try {
    rel = normalize(decodeURIComponent(urlPath)).replace(/^(\.\.(\/|\\|$))+/, '');
  } catch {
    return undefined;
  }
  const realRoot = await realpath(root).catch(() => undefined);
  const real = await realpath(join(root, rel)).catch(() => undefined);
  if (!realRoot || !real || !real.startsWith(realRoot + sep)) return undefined;
  const st = await stat(real).catch(() => undefined);
  return st?.isFile() ? real : undefined;
}
