// PUT /upload/iso/NAME: an installer ISO dropped or picked in the UI of a browser on `nova serve`
// (a browser knows no host path of a file) is streamed into the default storage pool, where the
// VM wizard then uses it. Written under a hidden temporary name and linked into place only when
// every byte the client announced arrived: a broken upload leaves nothing behind, and an existing
// file of that name is never replaced. The Electron app does not upload: its preload hands the
// renderer the dropped file's own path.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, mkdir, statfs, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../core/engine.js';
import { dirs } from '../core/sys/paths.js';
import { NovaError } from '../shared/errors.js';
import type { ErrorCode } from '../shared/errors.js';
import { errorReply } from './jsonrpc.js';

export const UPLOAD_ISO_PATH = '/upload/iso/';
/** A plain file name ending in .iso: no folders, no leading dot. */
export const ISO_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,200}\.iso$/i;

const STATUS: Partial<Record<ErrorCode, number>> = { INVALID_INPUT: 400, CONFLICT: 409 };

const fail = (res: ServerResponse, e: NovaError, status = STATUS[e.code] ?? 500): void =>
  void res.writeHead(status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(errorReply(null, e)));

/** Where an upload of `rawName` goes, or the error naming what is wrong with the request. */
function target(engine: Engine, rawName: string, req: IncomingMessage): { dir: string; name: string; size: number } | NovaError {
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = '';
  }
  if (!ISO_FILE_NAME.test(name)) return new NovaError('INVALID_INPUT', `name: "${name.slice(0, 60)}" is not an ISO file name; upload a file named like "debian-12.iso" (letters, digits, ".", "_", "+", "-")`, { field: 'name' });
  const size = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(size) || size <= 0) return new NovaError('INVALID_INPUT', 'content-length: send the file with its size (Content-Length)', { field: 'content-length' });
  return { dir: dirs.storage(engine.paths), name, size };
}

export async function serveIsoUpload(engine: Engine, req: IncomingMessage, res: ServerResponse, rawName: string): Promise<void> {
  if (req.method !== 'PUT') return void res.writeHead(405, { allow: 'PUT', connection: 'close' }).end();
  const t = target(engine, rawName, req);
  if (t instanceof NovaError) return fail(res, t);
  await mkdir(t.dir, { recursive: true, mode: 0o755 });
  const dest = join(t.dir, t.name);
  const fs = await statfs(t.dir);
  if (t.size > fs.bavail * fs.bsize) return fail(res, new NovaError('CONFLICT', `${t.dir} has ${fs.bavail * fs.bsize} bytes free, the ISO needs ${t.size}: free space there or copy the ISO into another pool folder`), 507);
  const part = join(t.dir, `.${t.name}.upload-${randomBytes(4).toString('hex')}`);
  let received = 0;
  req.on('data', (c: Buffer) => {
    received += c.length;
    if (received > t.size) req.destroy(new Error('more bytes than Content-Length'));
  });
  try {
    await pipeline(req, createWriteStream(part, { flags: 'wx', mode: 0o644 }));
    if (received !== t.size) throw new NovaError('INVALID_INPUT', `the upload ended after ${received} of ${t.size} bytes: drop the ISO again`);
    // link() never replaces: a file of that name that appeared meanwhile stays as it was.
    await link(part, dest).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? new NovaError('CONFLICT', `the default pool already has ${t.name}: pick it from the list, or delete it under Storage first`, { field: 'name' }) : e;
    });
  } catch (e) {
    await unlink(part).catch(() => undefined);
    if (res.headersSent || res.destroyed) return;
    return fail(res, e instanceof NovaError ? e : new NovaError('INTERNAL', `upload of ${t.name} failed: ${(e as Error).message}`));
  }
  await unlink(part);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: dest, sizeBytes: received }));
}
