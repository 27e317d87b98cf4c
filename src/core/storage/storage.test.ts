// Storage pools against the real filesystem and qemu-img: the default pool under the data dir,
// an added folder, sizes read from the files, and the VMs that use them.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { StorageFile, StoragePool } from '../../shared/contract/storage.js';
import { toNovaError } from '../../shared/errors.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';

describeHost('storage pools', { tools: ['qemu-img'] }, () => {
  let home: TempHome;
  let engine: Engine;
  const call = <T>(m: string, i: unknown = {}) => engine.dispatcher.invoke(m, i) as Promise<T>;
  const fails = (m: string, i: unknown) => engine.dispatcher.invoke(m, i).then(() => { throw new Error(`${m} should fail`); }, toNovaError);

  beforeAll(async () => {
    home = await tempHome('nova-storage-');
    engine = home.engine();
  });
  afterAll(async () => home.cleanup());

  it('a VM defined without a folder (the app, the API) gets its relative disk in the default pool, not the working directory', async () => {
    const cwdDisk = join(process.cwd(), 'pool-vm.qcow2');
    await call('vm.create', { name: 'pool-vm', spec: { disks: [{ path: './pool-vm.qcow2', size: '64Mi' }], memory: '128Mi' } });
    expect(existsSync(cwdDisk)).toBe(false);
    const { pools } = await call<{ pools: StoragePool[] }>('storage.pools');
    const def = pools.find((p) => p.name === 'default')!;
    expect(def).toMatchObject({ builtin: true, exists: true, path: join(home.dir, 'data', 'storage'), files: 1 });
    expect(def.freeBytes).toBeGreaterThan(0);
    expect(def.totalBytes).toBeGreaterThanOrEqual(def.freeBytes!);
    const { items } = await call<{ items: StorageFile[] }>('storage.files', { pool: 'default' });
    expect(items).toEqual([expect.objectContaining({ name: 'pool-vm.qcow2', kind: 'disk', format: 'qcow2', virtualBytes: 64 * 1024 ** 2, usedBy: ['pool-vm'] })]);
    expect(items[0]!.allocatedBytes).toBeLessThan(64 * 1024 ** 2); // sparse: the guest has written nothing
    const inUse = await fails('storage.file.rm', { pool: 'default', name: 'pool-vm.qcow2' });
    expect(inUse).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('pool-vm') });
    await call('vm.delete', { name: 'pool-vm' });
    await call('storage.file.rm', { pool: 'default', name: 'pool-vm.qcow2' });
    expect((await call<{ items: StorageFile[] }>('storage.files')).items).toEqual([]);
  });

  it('adds a folder as a pool (remembered by the next engine), lists its ISOs, forgets it without deleting files', async () => {
    const folder = join(home.dir, 'isos');
    expect(await fails('storage.pool.add', { name: 'isos', path: 'relative/dir' })).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'path' } });
    expect(await fails('storage.pool.add', { name: 'isos', path: folder })).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('mkdir -p') });
    expect(await fails('storage.pool.add', { name: 'Bad Name', path: folder })).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('name') });
    mkdirSync(folder);
    writeFileSync(join(folder, 'installer.iso'), Buffer.alloc(4096, 1));
    await call('storage.pool.add', { name: 'isos', path: folder });
    expect(await fails('storage.pool.add', { name: 'other', path: folder })).toMatchObject({ code: 'CONFLICT' });
    const again = home.engine();
    const { pools } = (await again.dispatcher.invoke('storage.pools', {})) as { pools: StoragePool[] };
    expect(pools.map((p) => p.name)).toEqual(['default', 'isos']);
    const { items } = await call<{ items: StorageFile[] }>('storage.files', { kind: 'iso' });
    expect(items).toEqual([expect.objectContaining({ pool: 'isos', name: 'installer.iso', format: 'iso', virtualBytes: 4096, usedBy: [] })]);
    await call('storage.pool.remove', { name: 'isos' });
    expect(existsSync(join(folder, 'installer.iso'))).toBe(true);
    expect(await fails('storage.pool.remove', { name: 'default' })).toMatchObject({ code: 'INVALID_INPUT' });
  });
});
