import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Where disks, ISOs and images live: a default pool under Nova's data dir plus folders the user
// adds (kept in the `storagePools` preference). Nothing is written to a working directory.

export const poolName = lazy(() => z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'pool name: 1-32 lowercase letters, digits, "-" or "_", e.g. "fast-ssd"'));
export const DEFAULT_POOL = 'default';

export const storagePool = lazy(() => z.object({
  name: z.string(),
  path: z.string(),
  /** The default pool under the data dir (cannot be removed). */
  builtin: z.boolean(),
  exists: z.boolean(),
  /** The filesystem the folder is on. */
  totalBytes: z.number().optional(),
  freeBytes: z.number().optional(),
  /** Space the pool's files take on disk, and how many there are. */
  usedBytes: z.number(),
  files: z.number().int(),
}));
export type StoragePool = z.infer<typeof storagePool>;

export const storageFileKind = lazy(() => z.enum(['disk', 'iso', 'other']));
export const storageFile = lazy(() => z.object({
  pool: z.string(),
  name: z.string(),
  path: z.string(),
  kind: storageFileKind,
  format: z.enum(['qcow2', 'raw', 'iso', 'other']),
  /** Space taken on disk (sparse files and qcow2 grow on demand). */
  allocatedBytes: z.number(),
  /** What the guest sees (qcow2 header / raw and ISO file size). */
  virtualBytes: z.number(),
  modifiedAt: z.number(),
  /** VMs whose definition names this file (disk, image or ISO). */
  usedBy: z.array(z.string()),
}));
export type StorageFile = z.infer<typeof storageFile>;

export const storageProcedures = {
  'storage.pools': procedure({
    summary: 'Storage pools (the default under the data dir and added folders) with free space and usage',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ pools: z.array(storagePool) })),
  }),
  'storage.files': procedure({
    summary: 'Disks, ISOs and other files in the pools, with sizes and the VMs using them',
    input: lazy(() => z.object({ pool: poolName.optional(), kind: storageFileKind.optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(storageFile) })),
  }),
  'storage.pool.add': procedure({
    summary: 'Add an existing folder as a storage pool',
    input: lazy(() => z.object({ name: poolName, path: z.string().min(1) }).strict()),
    output: storagePool,
  }),
  'storage.pool.remove': procedure({
    summary: 'Forget an added pool (its files stay where they are)',
    input: lazy(() => z.object({ name: poolName }).strict()),
    output: lazy(() => z.object({ name: z.string(), removed: z.boolean() })),
  }),
  'storage.file.rm': procedure({
    summary: 'Delete a file from a pool (refused while a VM uses it)',
    input: lazy(() => z.object({ pool: poolName, name: z.string().min(1) }).strict()),
    output: lazy(() => z.object({ path: z.string(), removed: z.boolean() })),
  }),
};
