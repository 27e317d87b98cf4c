import { z } from 'zod';
import { osImageName } from '../os-catalog.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// OS images for VMs (the catalog in src/shared/os-catalog.ts plus the user's os-images.json):
// list what can be pulled and what is stored; pull one with progress (a task), resumable, verified.

export const osImageSignatureResult = lazy(() => z.object({
  /** true: gpgv accepted the signature with the shipped key. */
  checked: z.boolean(),
  /** Why not checked, or which key signed. */
  note: z.string(),
}));

export const osImageRow = lazy(() => z.object({
  name: z.string(),
  title: z.string(),
  os: z.enum(['linux', 'windows', 'other']),
  kind: z.enum(['cloud', 'user-download']),
  format: z.enum(['qcow2', 'raw', 'iso']),
  /** Where it comes from (the image URL, or the page for a user download). */
  source: z.string().optional(),
  /** builtin: Nova's catalog; user: <config>/os-images.json. */
  origin: z.enum(['builtin', 'user']),
  preset: z.string().optional(),
  notes: z.string().optional(),
  /** Stored and verified: the file a VM disk can use as its backing file. */
  path: z.string().optional(),
  sizeBytes: z.number().optional(),
  /** A download was interrupted: this many bytes are kept and the next pull resumes. */
  partialBytes: z.number().optional(),
}));
export type OsImageRow = z.infer<typeof osImageRow>;

export const osImagePulled = lazy(() => osImageRow.extend({
  path: z.string(),
  sizeBytes: z.number(),
  checksum: z.object({ algorithm: z.string(), value: z.string() }),
  signature: osImageSignatureResult,
  /** Already stored and verified: nothing was downloaded. */
  cached: z.boolean(),
  /** Bytes kept from an interrupted download that this pull continued from. */
  resumedFrom: z.number(),
}));
export type OsImagePulled = z.infer<typeof osImagePulled>;

export const osImageProcedures = {
  'image.vm.list': procedure({
    summary: 'OS images for VMs: the catalog (Debian, Ubuntu, Fedora, Arch, Windows 11) and what is stored',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ items: z.array(osImageRow) })),
  }),
  'image.vm.pull': procedure({
    summary: 'Download an OS image (progress as task.progress, resumes an interrupted download, checks its checksum and signature)',
    input: lazy(() => z
      .object({
        name: osImageName,
        /** A mirror's directory URL, in place of the catalog's `base` (http:// or https://). */
        mirror: z.string().regex(/^https?:\/\/\S+$/, 'mirror: write an http:// or https:// URL, e.g. "http://mirror.lan/debian-cloud/"').optional(),
      })
      .strict()),
    output: osImagePulled,
  }),
  'image.vm.rm': procedure({
    summary: 'Delete a stored OS image (and a partial download); refused while a VM disk is backed by it',
    input: lazy(() => z.object({ name: osImageName, force: z.boolean().default(false) }).strict()),
    output: lazy(() => z.object({ name: z.string(), removed: z.boolean(), freedBytes: z.number() })),
  }),
};
