import { z } from 'zod';
import { resourceName } from '../names.js';
import { ipv4, macAddress, size } from '../schemas/fields.js';
import { procedure } from './define.js';
import { remoteHostName } from './hosts.js';
import { lazy } from '../lazy.js';

// Live migration to another Nova host with the disks (#22). `vm.migrate.host` runs on the source
// and drives both engines; the `vm.xmigrate.*` steps are what it asks of the target's engine
// (over the host's SSH connection). One attempt id ties the steps together.

const socketAddr = lazy(() => z.union([z.object({ host: z.string(), port: z.number().int() }).strict(), z.object({ path: z.string() }).strict()]));
const attempt = lazy(() => z.string().regex(/^[a-z0-9-]{8,64}$/, 'id: the attempt id vm.migrate.host chose'));
/** disk0…, and fw-vars: a UEFI VM's variable store, mirrored like a disk. */
const exportList = lazy(() => z.array(z.object({ node: z.string().regex(/^(disk\d+|fw-vars)$/), exportName: z.string().regex(/^(disk\d+|fw-vars)$/), sync: z.enum(['full', 'top']).optional() })));
/** The store image (#20) a disk is a qcow2 overlay on: the target with the same image gets only the top layer. */
const diskBase = lazy(() => z.object({ image: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i), file: z.string().regex(/^[^/\0]{1,255}$/), bytes: z.number().int().min(0), checksum: z.string().max(200) }).strict());

export const migrateOutcome = lazy(() => z.object({
  name: z.string(),
  to: z.string(),
  transport: z.enum(['ssh', 'tcp']),
  totalMs: z.number(),
  /** The guest's pause at switch-over: the source QEMU's measure plus the commit until the target resumed it. */
  downtimeMs: z.number().optional(),
  ramBytes: z.number().optional(),
  diskBytes: z.number(),
  /** This host's copies of the disks, removed once the target owned the VM. */
  removedDisks: z.array(z.string()),
}));
export type MigrateOutcome = z.infer<typeof migrateOutcome>;

export const xmigrateProcedures = {
  'vm.migrate.host': procedure({
    summary: 'Live-migrate a running VM with its disks to a remote Nova host (NBD + blockdev-mirror, RAM, over SSH by default); cancel leaves it running here',
    input: lazy(() => z
      .object({
        name: resourceName,
        to: remoteHostName,
        /** ssh: through the host's SSH connection (encrypted); tcp: clear text on the target's address, only when asked. */
        transport: z.enum(['ssh', 'tcp']).default('ssh'),
        /** Bytes per second for RAM (QEMU's default: 128 MiB/s). */
        bandwidth: size.optional(),
        downtimeMs: z.number().int().min(10).max(60_000).optional(),
      })
      .strict()),
    output: migrateOutcome,
  }),
  'vm.migrate.recover': procedure({
    summary: 'Finish or undo cross-host migrations that were interrupted (a killed process): exactly one host keeps each VM',
    input: lazy(() => z.object({ name: resourceName.optional() }).strict().default({})),
    output: lazy(() => z.object({ items: z.array(z.object({ name: z.string(), to: z.string(), outcome: z.enum(['kept-here', 'moved', 'pending']), reason: z.string() })) })),
  }),
  'vm.xmigrate.receive': procedure({
    summary: 'Target side of vm.migrate.host: define the VM with empty disks, start QEMU waiting, export the disks over NBD',
    input: lazy(() => z
      .object({
        name: resourceName,
        id: attempt,
        from: z.string().max(200),
        /** The VM's spec without its files (image, disks, kernel, initrd, iso, shares): the target adds its own and checks the whole. */
        spec: z.record(z.string(), z.unknown()),
        uuid: z.string().uuid(),
        mac: macAddress,
        project: z.string().optional(),
        disks: z.array(z.object({ node: z.string().regex(/^disk\d+$/), bytes: z.number().int().positive(), base: diskBase.optional() }).strict()).max(16),
        media: z.array(z.object({ field: z.enum(['kernel', 'initrd', 'iso']), file: z.string().regex(/^[^/\0]{1,255}$/, 'file: a file name, no folder'), bytes: z.number().int().min(0) }).strict()).max(8),
        /** The VM's address on each switch at the source: the target keeps it. */
        addresses: z.array(z.object({ network: z.string().max(64), ip: ipv4 }).strict()).max(16).optional(),
        /** A UEFI VM: the sha256 of the source's OVMF code build (the target must have the same) and its variable store's size (mirrored as export fw-vars). */
        firmware: z.object({ codeSha256: z.string().regex(/^[0-9a-f]{64}$/), varsBytes: z.number().int().positive().max(64 * 1024 ** 2) }).strict().optional(),
        listen: z.union([z.object({ kind: z.literal('unix') }).strict(), z.object({ kind: z.literal('tcp'), host: z.string().regex(/^[0-9a-fA-F.:]+$/, 'host: an IP address of this host') }).strict()]),
      })
      .strict()),
    output: lazy(() => z.object({ nbd: socketAddr, ram: socketAddr, exports: exportList })),
  }),
  'vm.xmigrate.commit': procedure({
    summary: 'Target side: once the whole guest is here, resume it (recorded first), stop the NBD server and own the VM; fails at once when this QEMU exited or failed to load it',
    /** resume false: the source's guest was paused; it stays paused here. */
    input: lazy(() => z.object({ name: resourceName, id: attempt, resume: z.boolean().optional() }).strict()),
    output: lazy(() => z.object({ name: z.string(), owned: z.boolean() })),
  }),
  'vm.xmigrate.cancel': procedure({
    summary: 'Target side: remove attempt id of an incoming migration (its QEMU, definition and disks); a VM this host owns is never touched',
    input: lazy(() => z.object({ name: resourceName, id: attempt }).strict()),
    output: lazy(() => z.object({ name: z.string(), removed: z.boolean() })),
  }),
  'vm.xmigrate.alive': procedure({
    summary: 'Target side: the source still drives attempt id (renewed every 2 s); without it the target settles the attempt by itself',
    input: lazy(() => z.object({ name: resourceName, id: attempt }).strict()),
    output: lazy(() => z.object({ name: z.string(), incoming: z.boolean() })),
  }),
  'vm.xmigrate.status': procedure({
    summary: 'Target side: whether attempt id of an incoming migration is still pending, and its QEMU status',
    input: lazy(() => z.object({ name: resourceName, id: attempt }).strict()),
    /** resumed: the guest was resumed here (false: it never ran here); exited: this attempt's QEMU is gone. */
    output: lazy(() => z.object({ defined: z.boolean(), incoming: z.boolean(), qmpStatus: z.string().optional(), resumed: z.boolean().optional(), exited: z.boolean().optional() })),
  }),
};
