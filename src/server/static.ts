import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, relative, sep } from 'node:path';
import { THEME_BOOT_HASH } from '../shared/csp.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
};

// The same CSP the Electron window uses, plus ws: to our own origin for /rpc.
export const CSP =
  `default-src 'self'; script-src 'self' ${THEME_BOOT_HASH}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;

/** Vite's output names a chunk by its content (`assets/name-HASH8.js`): such a URL never changes meaning. */
const HASHED = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8}\.(?:js|css|woff2?|svg|png|ico)$/;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** What is held in memory: the built renderer is ~2 MB; anything far larger is read from disk per request. */
const MAX_FILE = 4 * 1024 * 1024;
const MAX_TOTAL = 32 * 1024 * 1024;

interface Entry {
  file: string;
  body: Buffer;
  etag: string;
  headers: Record<string, string>;
  /** For names that are not content-hashed (index.html): re-read when the file changes (a rebuild). */
  mtimeMs?: number;
  size: number;
}

export interface StaticSite {
  serve(urlPath: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * The built renderer, read into memory once when the server starts: a request for the UI is a
 * map lookup, never a file-system call queued behind the engine's start-up work on libuv's
 * thread pool (#24: chunks took 100–375 ms each while engine.start() ran). Content-hashed chunks
 * are cached by browsers for good (`immutable`); index.html is revalidated (ETag → 304).
 * Unknown paths fall back to index.html (client-side routes). Only regular files that really lie
 * inside the folder are served: `..` is cut and symlinks resolved first, so a link pointing out of
 * the folder serves nothing.
 */
export function staticSite(root: string): StaticSite {
  const realRoot = safe(() => realpathSync(root));
  const entries = new Map<string, Entry>();
  let total = 0;
  const load = (file: string, hashed: boolean): Entry | undefined => {
    const st = safe(() => statSync(file));
    if (!st?.isFile() || st.size > MAX_FILE) return undefined;
    const body = safe(() => readFileSync(file));
    if (!body) return undefined;
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    return {
      file, body, etag, size: st.size, ...(hashed ? {} : { mtimeMs: st.mtimeMs }),
      headers: {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': hashed ? IMMUTABLE : 'no-cache',
        etag,
      },
    };
  };
  const remember = (key: string, e: Entry | undefined): Entry | undefined => {
    if (!e) return undefined;
    const old = entries.get(key);
    if (!old && total + e.size > MAX_TOTAL) return e;
    total += e.size - (old?.size ?? 0);
    entries.set(key, e);
    return e;
  };
  if (realRoot) {
    for (const rel of safe(() => readdirSync(realRoot, { recursive: true, encoding: 'utf8' })) ?? []) {
      const real = safe(() => realpathSync(join(realRoot, rel)));
      if (!real?.startsWith(realRoot + sep)) continue;
      const key = `/${relative(realRoot, join(realRoot, rel)).split(sep).join('/')}`;
      remember(key, load(real, HASHED.test(key)));
    }
  }
  /** The entry of a URL path: from memory, re-read if it is not content-hashed and changed on disk. */
  const lookup = async (key: string): Promise<Entry | undefined> => {
    const e = entries.get(key);
    if (e && e.mtimeMs === undefined) return e;
    if (e) {
      const st = safe(() => statSync(e.file));
      if (st?.isFile() && st.mtimeMs === e.mtimeMs && st.size === e.size) return e;
    }
    // Not in memory (built after the server started, or too large): read it from disk.
    const file = await insideRoot(root, key);
    return file ? remember(key, load(file, HASHED.test(key))) : undefined;
  };
  return {
    async serve(urlPath, req, res) {
      const key = urlKey(urlPath);
      const e = (key !== undefined ? await lookup(key) : undefined) ?? (await lookup('/index.html'));
      if (!e) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('The renderer is not built. Run `npm run build`.\n');
        return;
      }
      if (req.headers['if-none-match'] === e.etag) return void res.writeHead(304, e.headers).end();
      res.writeHead(200, { ...e.headers, 'content-length': String(e.body.length) });
      res.end(req.method === 'HEAD' ? undefined : e.body);
    },
  };
}

/** `/a/b` from a URL path, `..` cut; undefined when it does not decode. */
function urlKey(urlPath: string): string | undefined {
  try {
    const rel = normalize(decodeURIComponent(urlPath)).replace(/^(\.\.(\/|\\|$))+/, '');
    return rel.startsWith('/') ? rel : `/${rel}`;
  } catch {
    return undefined;
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** The regular file a URL path names, only if it really lies inside root (symlinks resolved first). */
async function insideRoot(root: string, key: string): Promise<string | undefined> {
  const realRoot = await realpath(root).catch(() => undefined);
  const real = await realpath(join(root, key)).catch(() => undefined);
  if (!realRoot || !real || !real.startsWith(realRoot + sep)) return undefined;
  const st = await stat(real).catch(() => undefined);
  return st?.isFile() ? real : undefined;
}
