import { accessSync, constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// Found paths are remembered (a PATH walk is ~10 access() calls, on every capsule start) and
// re-checked with one cheap access() each time, so an uninstalled tool is looked up afresh.
const found = new Map<string, string>();
// Lookups under way: concurrent callers (a listing derives every capsule's state at once) share
// one PATH walk instead of each walking it (200 capsules: ~2,000 access() calls through libuv).
const searching = new Map<string, Promise<string | undefined>>();

/** The executable `name` on PATH (plus the sbin folders a user's PATH often lacks), if any. */
export async function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const key = `${name}\0${env.PATH ?? ''}`;
  const known = found.get(key);
  if (known) {
    try {
      accessSync(known, constants.X_OK);
      return known;
    } catch {
      found.delete(key);
    }
  }
  let search = searching.get(key);
  if (!search) {
    search = searchPath(name, env).then((path) => {
      if (path) found.set(key, path);
      return path;
    }).finally(() => searching.delete(key));
    searching.set(key, search);
  }
  return search;
}

async function searchPath(name: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  for (const dir of [...(env.PATH ?? DEFAULT_PATH).split(delimiter), '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}
