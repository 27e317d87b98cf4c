import { open, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { StorageFile } from '../../shared/contract/storage.js';
import type { EngineContext } from '../context.js';
import type { PoolRef } from './pools.js';

const DISK = /\.(qcow2|img|raw)$/i;
const ISO = /\.iso$/i;

/** qcow2 keeps the guest-visible size in its header (bytes 24..31, big endian). */
async function readFormat(path: string, size: number): Promise<{ format: StorageFile['format']; virtualBytes: number }> {
  if (ISO.test(path)) return { format: 'iso', virtualBytes: size };
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return { format: 'other', virtualBytes: size };
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await fh.read(head, 0, 32, 0);
    if (bytesRead >= 32 && head.readUInt32BE(0) === 0x514649fb) return { format: 'qcow2', virtualBytes: Number(head.readBigUInt64BE(24)) };
    return { format: DISK.test(path) ? 'raw' : 'other', virtualBytes: size };
  } finally {
    await fh.close();
  }
}

/** Absolute path → VMs naming it (as a disk, the boot image or an ISO). */
export async function fileUsers(engine: EngineContext): Promise<Map<string, string[]>> {
  const users = new Map<string, string[]>();
  // The VM area's own answer (vm.list), not its files: disks come resolved, ISOs relative to baseDir.
  const { items } = await engine.call('vm.list', {}).catch(() => ({ items: [] }));
  for (const vm of items) {
    const iso = vm.spec.iso === undefined ? [] : Array.isArray(vm.spec.iso) ? vm.spec.iso : [vm.spec.iso];
    const paths = new Set([...vm.disks.map((d) => d.path), ...iso.map((p) => resolve(vm.baseDir, p))]);
    for (const p of paths) users.set(p, [...(users.get(p) ?? []), vm.name]);
  }
  return users;
}

/** The files directly in one pool's folder (no recursion: a pool is a flat folder). */
export async function poolFiles(pool: PoolRef, users: Map<string, string[]>): Promise<StorageFile[]> {
  const names = await readdir(pool.path).catch(() => [] as string[]);
  const out: StorageFile[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const path = join(pool.path, name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) continue;
    const { format, virtualBytes } = await readFormat(path, st.size);
    out.push({
      pool: pool.name, name, path,
      kind: ISO.test(name) ? 'iso' : format === 'qcow2' || DISK.test(name) ? 'disk' : 'other',
      format, allocatedBytes: st.blocks * 512, virtualBytes, modifiedAt: Math.round(st.mtimeMs),
      usedBy: users.get(path) ?? [],
    });
  }
  return out;
}

/** Deletes one file of a pool; refused while a VM's definition names it. */
export async function removePoolFile(engine: EngineContext, pool: PoolRef, name: string): Promise<string> {
  if (name !== basename(name) || name.startsWith('.')) throw new NovaError('INVALID_INPUT', `name: "${name}" is not a file name in the pool (no folders)`, { field: 'name' });
  const path = join(pool.path, name);
  if (!(await stat(path).catch(() => undefined))?.isFile()) throw new NovaError('NOT_FOUND', `no file ${name} in pool ${pool.name}`, { field: 'name' });
  const users = (await fileUsers(engine)).get(path) ?? [];
  if (users.length) throw new NovaError('CONFLICT', `${name} is used by VM ${users.join(', ')}; delete or change the VM first`, { usedBy: users });
  await rm(path);
  return path;
}
