import { statfs, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { DEFAULT_POOL } from '../../shared/contract/storage.js';
import type { EngineContext } from '../context.js';
import { dirs } from '../sys/paths.js';

export interface PoolRef {
  name: string;
  path: string;
  builtin: boolean;
}

/** The default pool first, then the folders the user added (the `storagePools` preference). */
export async function poolRefs(engine: EngineContext): Promise<PoolRef[]> {
  const added = (await engine.prefs.get()).storagePools;
  return [{ name: DEFAULT_POOL, path: dirs.storage(engine.paths), builtin: true }, ...added.map((p) => ({ ...p, builtin: false }))];
}

export async function poolRef(engine: EngineContext, name: string): Promise<PoolRef> {
  const p = (await poolRefs(engine)).find((x) => x.name === name);
  if (!p) throw new NovaError('NOT_FOUND', `no storage pool named "${name}"; see \`nova storage pools\``, { field: 'pool' });
  return p;
}

/** Size and free space of the filesystem a pool is on; undefined when the folder is gone. */
export async function filesystemOf(path: string): Promise<{ totalBytes: number; freeBytes: number } | undefined> {
  try {
    const s = await statfs(path);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return undefined;
  }
}

/** Adds an existing folder as a pool; the name and the folder must both be new. */
export async function addPool(engine: EngineContext, name: string, path: string): Promise<PoolRef> {
  if (!isAbsolute(path)) throw new NovaError('INVALID_INPUT', `path: "${path}" is relative; give the folder's full path, e.g. /srv/vm-disks`, { field: 'path' });
  const folder = resolve(path);
  const st = await stat(folder).catch(() => undefined);
  if (!st?.isDirectory()) throw new NovaError('INVALID_INPUT', `path: ${folder} is not an existing folder; create it first (mkdir -p ${folder})`, { field: 'path' });
  const pools = await poolRefs(engine);
  if (pools.some((p) => p.name === name)) throw new NovaError('CONFLICT', `a storage pool named "${name}" exists; pick another name`, { field: 'name' });
  const same = pools.find((p) => p.path === folder);
  if (same) throw new NovaError('CONFLICT', `${folder} is already the pool "${same.name}"`, { field: 'path' });
  const added = pools.filter((p) => !p.builtin).map(({ name: n, path: p }) => ({ name: n, path: p }));
  await engine.prefs.set('storagePools', [...added, { name, path: folder }]);
  return { name, path: folder, builtin: false };
}

export async function removePool(engine: EngineContext, name: string): Promise<void> {
  if (name === DEFAULT_POOL) throw new NovaError('INVALID_INPUT', 'name: the default pool cannot be removed', { field: 'name' });
  const pools = await poolRefs(engine);
  if (!pools.some((p) => p.name === name)) throw new NovaError('NOT_FOUND', `no storage pool named "${name}"`, { field: 'name' });
  await engine.prefs.set('storagePools', pools.filter((p) => !p.builtin && p.name !== name).map(({ name: n, path }) => ({ name: n, path })));
}
