// The renderer is served from a privileged custom scheme, nova://app/, instead of file://: the
// page gets a real origin (so CSP 'self' means exactly our files), cannot read other local files,
// and the GrantFileProtocolExtraPrivileges fuse can stay off in packaged builds.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'nova';
export const APP_HOST = 'app';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Registered before `ready`: standard (real origin, relative URLs), secure context, fetch. */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.wasm': 'application/wasm', '.map': 'application/json',
};

const plain = (status: number, text: string) => new Response(text, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });

/**
 * Serves `rootDir` (out/renderer) on nova://app/. Paths cannot leave the folder; unknown routes
 * without an extension get index.html (client-side routes), missing files 404. Every response
 * carries the CSP.
 */
export function appProtocolHandler(rootDir: string, csp: string): (req: Request) => Promise<Response> {
  const root = resolve(rootDir);
  return async (req) => {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return plain(400, 'bad request');
    }
    if (url.host !== APP_HOST) return plain(404, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed');
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(url.pathname));
    } catch {
      return plain(400, 'bad path');
    }
    let file = resolve(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return plain(403, 'forbidden');
    let st = await stat(file).catch(() => undefined);
    if (!st || st.isDirectory()) {
      if (extname(rel) && !st) return plain(404, 'not found');
      file = join(root, 'index.html');
      st = await stat(file).catch(() => undefined);
      if (!st) return plain(404, 'The renderer is not built. Run `npm run build`.');
    }
    const body = req.method === 'HEAD' ? null : await readFile(file);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': csp,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      },
    });
  };
}
