import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../sys/atomic.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import { knownHostsLines } from './keys.js';
import type { ScannedKey } from './keys.js';
import type { SshTarget } from './url.js';

// The remote hosts this user added: <config>/hosts/hosts.json, and the pinned keys derived from
// it in <config>/hosts/known_hosts (the only known_hosts Nova's ssh reads). Both written atomically
// under one lock; known_hosts is rewritten from hosts.json, so the two never disagree for long.

export interface StoredHost extends SshTarget {
  name: string;
  keys: ScannedKey[];
  addedAt: number;
}

interface HostsFile {
  hosts: StoredHost[];
}

export const hostsDir = (p: NovaPaths): string => join(p.config, 'hosts');
export const knownHostsFile = (p: NovaPaths): string => join(hostsDir(p), 'known_hosts');
const hostsFile = (p: NovaPaths) => join(hostsDir(p), 'hosts.json');

export async function listHosts(paths: NovaPaths): Promise<StoredHost[]> {
  return (await readJson<HostsFile>(hostsFile(paths), { hosts: [] })).hosts;
}

export async function getHost(paths: NovaPaths, name: string): Promise<StoredHost> {
  const h = (await listHosts(paths)).find((x) => x.name === name);
  if (!h) throw new NovaError('NOT_FOUND', `host "${name}" is not known here: add it with \`nova host add ${name} ssh://user@address/path/of/serve.sock\` (\`nova host ls\` lists them)`, { field: 'host' });
  return h;
}

async function save(paths: NovaPaths, hosts: StoredHost[]): Promise<void> {
  await writeJsonAtomic(hostsFile(paths), { hosts } satisfies HostsFile, { mode: 0o600 });
  const lines = hosts.flatMap((h) => knownHostsLines(h.name, h.keys));
  await writeFileAtomic(knownHostsFile(paths), lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 });
}

/** Changes the list under the hosts lock: `fn` gets the current list and returns the new one. */
export async function updateHosts(paths: NovaPaths, fn: (hosts: StoredHost[]) => StoredHost[] | Promise<StoredHost[]>): Promise<StoredHost[]> {
  return withLock(lockPath(paths, 'hosts', 'all'), async () => {
    const next = await fn(await listHosts(paths));
    await save(paths, next);
    return next;
  });
}
