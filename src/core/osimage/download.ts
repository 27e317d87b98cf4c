// HTTP(S) downloads for OS images: into FILE.part, continued with a Range request when a part is
// left from an interrupted download, progress reported as bytes, cancellable by an AbortSignal.
import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { NovaError } from '../../shared/errors.js';

export interface DownloadProgress {
  received: number;
  /** Total bytes when the server says, else undefined. */
  total: number | undefined;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  /** Bytes that were already in FILE.part and not fetched again. */
  resumedFrom: number;
}

const MAX_REDIRECTS = 5;

function request(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, redirects = 0): Promise<IncomingMessage> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return Promise.reject(new NovaError('INVALID_INPUT', `${url}: only http:// and https:// downloads are supported`, { url }));
  }
  const get = u.protocol === 'https:' ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(u, { headers: { 'user-agent': 'nova', ...headers }, ...(signal ? { signal } : {}), timeout: 30_000 }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new NovaError('INTERNAL', `${url}: more than ${MAX_REDIRECTS} redirects`, { url }));
        return resolve(request(new URL(res.headers.location, u).toString(), headers, signal, redirects + 1));
      }
      resolve(res);
    });
    req.on('timeout', () => req.destroy(new NovaError('TIMEOUT', `${url}: no answer for 30 s; check the network or use --mirror URL`, { url })));
    req.on('error', (e) => reject(signal?.aborted ? new NovaError('CANCELLED', 'download cancelled') : e));
  });
}

const httpError = (url: string, status: number) =>
  new NovaError(status === 404 ? 'NOT_FOUND' : 'INTERNAL', `${url}: the server answered HTTP ${status}${status === 404 ? ' (not found): the catalog entry or the mirror is out of date; check the URL or use --mirror URL' : ''}`, { url, status });

/** A small file (a checksum list, a signature) into memory. */
export async function fetchText(url: string, signal?: AbortSignal, limit = 4 * 1024 * 1024): Promise<Buffer> {
  const res = await request(url, {}, signal);
  if (res.statusCode !== 200) {
    res.resume();
    throw httpError(url, res.statusCode ?? 0);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      res.destroy();
      throw new NovaError('INVALID_INPUT', `${url}: larger than ${limit} bytes; is this really a checksum or signature file?`, { url });
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/**
 * Downloads `url` to `dest` through `dest.part`. A part left by an interrupted download is
 * continued with `Range: bytes=N-` (a server that ignores ranges sends it all again). Throws on
 * HTTP errors and on a connection cut before the end; the part stays for the next try.
 */
export async function download(url: string, dest: string, opts: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {}): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const have = (await stat(part).catch(() => undefined))?.size ?? 0;
  const res = await request(url, have > 0 ? { range: `bytes=${have}-` } : {}, opts.signal);
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // The part is already whole (or the file changed upstream): start again.
    res.resume();
    await unlink(part);
    return download(url, dest, opts);
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw httpError(url, status);
  }
  const resumedFrom = status === 206 ? have : 0;
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) ? resumedFrom + length : undefined;
  let received = resumedFrom;
  const out = createWriteStream(part, { flags: resumedFrom > 0 ? 'a' : 'w', mode: 0o644 });
  let last = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        received += c.length;
        const now = Date.now();
        if (now - last >= 100) {
          last = now;
          opts.onProgress?.({ received, total });
        }
      });
      res.on('aborted', () => reject(new NovaError('INTERNAL', `${url}: the connection closed after ${received} of ${total ?? '?'} bytes; pull again to resume`, { url, received })));
      res.on('error', reject);
      out.on('error', reject);
      out.on('finish', resolve);
      res.pipe(out);
    });
  } catch (e) {
    res.destroy();
    out.destroy();
    throw opts.signal?.aborted ? new NovaError('CANCELLED', 'download cancelled; pull again to resume') : e;
  }
  if (total !== undefined && received < total) {
    throw new NovaError('INTERNAL', `${url}: the connection closed after ${received} of ${total} bytes; pull again to resume`, { url, received, total });
  }
  opts.onProgress?.({ received, total });
  await rename(part, dest);
  return { path: dest, bytes: received, resumedFrom };
}
