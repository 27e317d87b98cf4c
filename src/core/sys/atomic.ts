import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { crashPoint } from './crash-point.js';
import { pidAlive } from './proc.js';

/**
 * Writes a file so readers see the old or the new content, never half of it, even after kill -9
 * or a power cut: temp file in the same folder, fsync, rename, fsync the folder.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', opts.mode ?? 0o644);
  try {
    await fh.writeFile(data);
    if (opts.mode !== undefined) await fh.chmod(opts.mode); // umask must not widen secrets
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  crashPoint(`write ${basename(path)}`);
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

export async function writeJsonAtomic(path: string, value: unknown, opts: { mode?: number } = {}): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, opts);
}

/** Reads JSON; returns `fallback` when the file does not exist. A corrupt file is an error naming it. */
export async function readJson<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw e;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new NovaError('INTERNAL', `state file ${path} is not valid JSON (${(e as Error).message}); move it away to reset it`, { path });
  }
}

/**
 * Removes temp files of atomic writes whose writer died (kill -9 between write and rename):
 * `.<name>.<pid>.<hex>.tmp` with a pid that no longer runs. Returns what it removed.
 */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((f) => {
    const m = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(f);
    return m && (Number(m[1]) === process.pid ? false : !pidAlive(Number(m[1])));
  });
  for (const f of stale) await rm(join(dir, f), { force: true });
  return stale;
}
