// Synchronous reads of the small state files every listing derives state from (pidfiles,
// markers, records, exit files). One readFileSync is a single open/fstat/read/close on the
// calling thread; the promise API sends each of those four to the libuv pool and back, which
// for 200 items × ~6 files is most of a listing's time (see bench/README.md, list-real).
// Only for small local files under Nova's own folders and /proc: never for anything that may block.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';

/** The file's text, or undefined when it is absent or unreadable (no exception built for the common "absent"). */
export function readSmall(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Parsed JSON, `fallback` when absent; invalid JSON is an error naming the file, as readJson. */
export function readJsonSmall<T>(path: string, fallback: T): T {
  const text = readSmall(path);
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new NovaError('INTERNAL', `state file ${path} is not valid JSON (${(e as Error).message}); move it away to reset it`, { path });
  }
}

/** A pidfile's pid (a positive integer) or undefined. */
export function readPidSmall(path: string): number | undefined {
  const text = readSmall(path);
  if (text === undefined) return undefined;
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** True when /proc/<pid>/cmdline contains every needle (pids get reused: a stale pidfile never adopts a stranger). */
export function cmdlineMatches(pid: number, needles: readonly string[], procRoot = '/proc'): boolean {
  const raw = readSmall(`${procRoot}/${pid}/cmdline`);
  if (!raw) return false;
  return needles.every((n) => raw.includes(n));
}

// Record texts by path, kept while the file's identity is unchanged: a listing then pays one
// stat per record instead of open/fstat/read/close. Atomic writes replace the inode and in-place
// writes move mtime/ctime/size, so a changed record is always read again; a file changed in the
// last 2 s is not kept at all (file timestamps tick coarsely: two writes within one tick can
// share an mtime). Texts, not parsed
// objects: every caller gets its own object to change.
const texts = new Map<string, { id: string; text: string }>();
const MAX_TEXTS = 20_000;

/** readJsonSmall for records read again and again (VM and capsule definitions). */
export function readJsonKept<T>(path: string, fallback: T): T {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch {
    st = undefined; // ENOTDIR, EACCES: as absent
  }
  if (!st || !st.isFile()) {
    texts.delete(path);
    return fallback;
  }
  const id = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  let kept = texts.get(path);
  if (kept?.id !== id) {
    const text = readSmall(path);
    if (text === undefined) return fallback;
    if (texts.size >= MAX_TEXTS) texts.clear();
    kept = { id, text };
    if (Date.now() - st.mtimeMs > 2000) texts.set(path, kept);
    else texts.delete(path);
  }
  try {
    return JSON.parse(kept.text) as T;
  } catch (e) {
    throw new NovaError('INTERNAL', `state file ${path} is not valid JSON (${(e as Error).message}); move it away to reset it`, { path });
  }
}
