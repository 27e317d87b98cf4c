import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The executable `name` on PATH (plus the sbin folders a user's PATH often lacks), if any. */
export async function findBinary(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
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
