import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { crashPoint } from './crash-point.js';
import { pidAlive } from './proc.js';

// node:crypto on first use, not at load: a cold `nova ls` (src/cli/lean-list.ts) never writes.
const tempPath = (dir: string, path: string) => join(dir, `.${basename(path)}.${process.pid}.${process.getBuiltinModule('node:crypto').randomBytes(4).toString('hex')}.tmp`);

/**
 * Writes a file so readers see the old or the new content, never half of it, even after kill -9
 * or a power cut: temp file in the same folder, fsync, rename, fsync the folder.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number } = {}): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = tempPath(dir, path);
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

/** A durable write split so its fsyncs overlap other work (stageFileAtomic). */
export interface StagedWrite {
  /** Renames the synced temp file into place (the moment readers see it) and starts the folder fsync. */
  commit(): Promise<void>;
  /** Resolves once the committed file is durable (the folder fsync). */
  synced(): Promise<void>;
  /** Drops the temp file when it was never committed (a failed change). */
  discard(): Promise<void>;
}

/**
 * writeFileAtomic in two steps: the temp file is written and fsynced right away, in the
 * background; `commit()` renames it at the point the caller chooses; `synced()` waits for the
 * folder fsync. Same guarantees as writeFileAtomic once `synced()` resolved, but the disk waits
 * run beside the caller's host work instead of in front of it.
 */
export function stageFileAtomic(path: string, data: string): StagedWrite {
  const dir = dirname(path);
  const tmp = tempPath(dir, path);
  const staged = (async () => {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  })();
  staged.catch(() => undefined); // surfaced by commit()
  let dirSync: Promise<void> | undefined;
  let committed = false;
  return {
    async commit() {
      try {
        await staged;
        crashPoint(`write ${basename(path)}`);
        await rename(tmp, path);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      committed = true;
      dirSync = (async () => {
        const dh = await open(dir, 'r');
        try {
          await dh.sync();
        } finally {
          await dh.close();
        }
      })();
      dirSync.catch(() => undefined); // surfaced by synced()
    },
    async synced() {
      if (!dirSync) throw new Error(`${path}: synced() before commit()`);
      await dirSync;
    },
    async discard() {
      if (committed) return;
      await staged.catch(() => undefined);
      await rm(tmp, { force: true });
    },
  };
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
 * `.<name>.<pid>.<hex>.tmp` with a pid that no longer runs, in `dir` and `depth` levels below.
 * Returns what it removed (paths relative to `dir`).
 */
export async function sweepStaleTemps(dir: string, depth = 0): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const e of entries) {
    const m = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(e.name);
    if (e.isFile() && m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      await rm(join(dir, e.name), { force: true });
      removed.push(e.name);
    } else if (e.isDirectory() && depth > 0) {
      removed.push(...(await sweepStaleTemps(join(dir, e.name), depth - 1)).map((f) => join(e.name, f)));
    }
  }
  return removed;
}
