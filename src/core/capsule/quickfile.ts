import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/**
 * Atomic (temp + rename) but without fsync: for files Nova regenerates on every start
 * (config.json, /etc files, supervisor config). A crash loses nothing that is not rebuilt.
 */
export async function writeQuick(path: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** writeQuick, skipped when the file already holds exactly `data` (a read is cheaper than a write). */
export async function writeQuickIfChanged(path: string, data: string, mode = 0o644): Promise<void> {
  if ((await readFile(path, 'utf8').catch(() => undefined)) === data) return;
  await writeQuick(path, data, mode);
}
