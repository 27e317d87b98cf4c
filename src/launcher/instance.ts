// Browser mode has no Electron single-instance lock: a small record in Nova's runtime folder lets
// a second `npm start` open another window of the running one instead of a second server.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/sys/atomic.js';
import { resolvePaths } from '../core/sys/paths.js';
import { pidAlive } from '../core/sys/proc.js';

export interface LauncherInstance {
  pid: number;
  /** The server's base URL (no secret: the running browser holds the session cookie). */
  server: string;
  browser: string;
  /** The browser's argv without `--app=`: a second window adds `--app=<server>/`. */
  browserArgs: string[];
}

export const instanceFile = (env: NodeJS.ProcessEnv = process.env) => join(resolvePaths(env).runtime, 'launcher.json');

/** The running launcher, if its process lives and its server answers; stale records are removed. */
export async function runningInstance(file: string): Promise<LauncherInstance | undefined> {
  let rec: LauncherInstance;
  try {
    rec = JSON.parse(await readFile(file, 'utf8')) as LauncherInstance;
  } catch {
    return undefined;
  }
  const healthy =
    pidAlive(rec.pid) &&
    (await fetch(`${rec.server}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    ));
  if (!healthy) {
    await rm(file, { force: true });
    return undefined;
  }
  return rec;
}

export const recordInstance = (file: string, rec: LauncherInstance) => writeJsonAtomic(file, rec, { mode: 0o600 });

/** Removes the record only if it is still ours (a newer launcher may have replaced it). */
export async function clearInstance(file: string, pid = process.pid): Promise<void> {
  const rec = await readFile(file, 'utf8').then((t) => JSON.parse(t) as LauncherInstance, () => undefined);
  if (rec?.pid === pid) await rm(file, { force: true });
}
