import { mkdir } from 'node:fs/promises';
import type { EngineContext, EngineModule } from '../context.js';
import { dirs } from '../sys/paths.js';
import { fileUsers, poolFiles, removePoolFile } from './files.js';
import { addPool, filesystemOf, poolRef, poolRefs, removePool } from './pools.js';
import type { PoolRef } from './pools.js';

// Storage pools: where VM disks and ISOs live, with sizes and which VM uses what.

async function describePool(engine: EngineContext, pool: PoolRef) {
  const [fs, files] = await Promise.all([filesystemOf(pool.path), poolFiles(pool, new Map())]);
  return {
    ...pool,
    exists: fs !== undefined,
    ...(fs ?? {}),
    usedBytes: files.reduce((n, f) => n + f.allocatedBytes, 0),
    files: files.length,
  };
}

async function announce(engine: EngineContext, pool: string): Promise<void> {
  engine.bus.emit('prefs.changed', await engine.prefs.get());
  engine.bus.emit('storage.changed', { pool });
}

export const storageModule: EngineModule = {
  name: 'storage',
  install(engine) {
    const d = engine.dispatcher;
    d.handle('storage.pools', async () => {
      await mkdir(dirs.storage(engine.paths), { recursive: true });
      return { pools: await Promise.all((await poolRefs(engine)).map((p) => describePool(engine, p))) };
    });
    d.handle('storage.files', async (i) => {
      const pools = i.pool ? [await poolRef(engine, i.pool)] : await poolRefs(engine);
      const users = await fileUsers(engine);
      const items = (await Promise.all(pools.map((p) => poolFiles(p, users)))).flat();
      return { items: i.kind ? items.filter((f) => f.kind === i.kind) : items };
    });
    d.handle('storage.pool.add', async (i) => {
      const pool = await addPool(engine, i.name, i.path);
      await announce(engine, pool.name);
      return describePool(engine, pool);
    });
    d.handle('storage.pool.remove', async (i) => {
      await removePool(engine, i.name);
      await announce(engine, i.name);
      return { name: i.name, removed: true };
    });
    d.handle('storage.file.rm', async (i) => {
      const path = await removePoolFile(engine, await poolRef(engine, i.pool), i.name);
      engine.bus.emit('storage.changed', { pool: i.pool });
      return { path, removed: true };
    });
  },
};
