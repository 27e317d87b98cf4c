// The sending side of a cross-host migration, run by the source host's engine: what the target
// needs to define the VM (the spec without its files, disk sizes, boot files by name), the QMP
// sequence under the VM's lock, and afterwards either the release (QEMU quits, the definition and
// its disks go: the VM lives on the target now) or the undo (the VM keeps running here).
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { NovaError } from '../../../shared/errors.js';
import type { VmContext } from '../context.js';
import { vmFeatures } from '../config/features.js';
import { imageInfo } from '../disks.js';
import { deleteVm } from '../lifecycle.js';
import { publish, vmLock } from '../power.js';
import { waitForExit } from '../process.js';
import { queryStatus, quit } from '../qmp/commands.js';
import { withQmp } from '../qmp/protocol.js';
import { livePid } from '../state.js';
import { absolutize, layoutOf, loadRecord, resolveDisks, resolveIsos } from '../store.js';
import { baseOf } from './base.js';
import { codePathFor, fileBytes, hashFile } from './firmware.js';
import type { IncomingInput } from './target.js';
import { abortSource, migrationUri, runSource } from './sequence.js';
import type { MigrateOutcome, MigrateProgress, SocketAddr } from './sequence.js';

/** What the target needs to define the VM; refuses what cannot move live yet, naming why. */
export async function outgoingDefinition(ctx: VmContext, name: string): Promise<Omit<IncomingInput, 'id' | 'from' | 'listen'>> {
  const rec = await loadRecord(ctx.paths, name);
  const s = rec.spec;
  const f = vmFeatures(s);
  // UEFI: the variable store is mirrored like a disk; the target checks it runs the same firmware
  // build. TPM: its state rides in the RAM stream into the target's fresh swtpm (firmware.ts).
  const firmware = f.uefi ? await outgoingFirmware(ctx, name, f.secureBoot) : undefined;
  if (rec.nics?.length) throw new NovaError('HOST_UNSUPPORTED', `VM ${name} has NICs attached since it was defined (${rec.nics.map((n) => n.network).join(', ')}): detach them or declare them in its spec first`, { field: 'name' });
  if (s.shares?.length) throw new NovaError('HOST_UNSUPPORTED', `VM ${name} has shared folders (virtiofs): they cannot follow it to another host; remove them first`, { field: 'name' });
  const disks = resolveDisks(rec);
  const ro = disks.find((d) => d.readonly);
  if (ro) throw new NovaError('HOST_UNSUPPORTED', `VM ${name}'s disk ${ro.path} is read-only: put it in the target's storage pool and use it as an ISO, or make it writable`, { field: 'name' });
  const sized = await Promise.all(
    disks.map(async (d) => {
      const info = await imageInfo(ctx.runner, d.path);
      // An overlay on an image of the store: only its top layer moves if the target has that image.
      const base = info.format === 'qcow2' ? await baseOf(ctx.paths, info['full-backing-filename'] ?? info['backing-filename']) : undefined;
      return { node: d.node, bytes: info['virtual-size'], ...(base ? { base } : {}) };
    }),
  );
  const media: IncomingInput['media'] = [];
  const file = async (field: 'kernel' | 'initrd' | 'iso', p: string) => media.push({ field, file: basename(p), bytes: (await stat(p)).size });
  if (s.kernel) await file('kernel', absolutize(rec.baseDir, s.kernel));
  if (s.initrd) await file('initrd', absolutize(rec.baseDir, s.initrd));
  for (const iso of resolveIsos(rec)) await file('iso', iso);
  const { image: _i, iso: _c, kernel: _k, initrd: _r, disks: _d, shares: _s, ...rest } = structuredClone(s);
  const spec: Record<string, unknown> = { ...rest, restart: 'no' };
  const addresses = await switchAddresses(ctx, name);
  return { name, spec, uuid: rec.uuid, mac: rec.mac, ...(rec.project ? { project: rec.project } : {}), disks: sized, media, ...(addresses.length ? { addresses } : {}), ...(firmware ? { firmware } : {}) };
}

/** A UEFI VM's firmware as the target must match it: the code build's hash and the variable store's size. */
async function outgoingFirmware(ctx: VmContext, name: string, secureBoot: boolean): Promise<NonNullable<IncomingInput['firmware']>> {
  const code = await hashFile(codePathFor({ secureBoot }));
  if (!code) throw new NovaError('HOST_UNSUPPORTED', `VM ${name} boots with UEFI but this host's OVMF firmware ${codePathFor({ secureBoot })} is gone`, { field: 'name' });
  const vars = layoutOf(ctx.paths, name).varsFile;
  const varsBytes = await fileBytes(vars).catch(() => {
    throw new NovaError('CONFLICT', `VM ${name} boots with UEFI but has no variable store ${vars}`, { field: 'name' });
  });
  return { codeSha256: code.sha256, varsBytes };
}

/** The VM's address on each switch it is attached to here: the target keeps them (its dnsmasq answers for them, this one stops). */
async function switchAddresses(ctx: VmContext, name: string): Promise<{ network: string; ip: string }[]> {
  const all = await ctx.call('network.list', {}).catch(() => ({ items: [] }));
  return all.items.flatMap((n) => n.attachments.filter((a) => a.owner.kind === 'vm' && a.owner.name === name && a.ip).map((a) => ({ network: n.name, ip: a.ip! })));
}

export interface SendInput {
  nbd: SocketAddr;
  ram: SocketAddr;
  exports: { node: string; exportName: string; sync?: 'full' | 'top' }[];
  bandwidthBytesPerSec?: number;
  downtimeLimitMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: MigrateProgress) => void;
}

/** Mirrors the disks and RAM into the target; on success this QEMU is left in postmigrate (`wasRunning`: the guest ran before). */
export async function sendVm(ctx: VmContext, name: string, i: SendInput): Promise<MigrateOutcome & { wasRunning: boolean }> {
  return vmLock(ctx, name, async () => {
    const qmp = layoutOf(ctx.paths, name).qmp;
    return withQmp(qmp, async (q) => {
      const st = await queryStatus(q);
      if (st.status !== 'running' && st.status !== 'paused') throw new NovaError('CONFLICT', `VM ${name} is ${st.status}: only a running VM is live-migrated`);
      const out = await runSource(q, {
        nbd: i.nbd,
        disks: i.exports,
        uri: migrationUri(i.ram),
        ...(i.bandwidthBytesPerSec ? { bandwidthBytesPerSec: i.bandwidthBytesPerSec } : {}),
        ...(i.downtimeLimitMs ? { downtimeLimitMs: i.downtimeLimitMs } : {}),
        ...(i.signal ? { signal: i.signal } : {}),
        ...(i.onProgress ? { onProgress: i.onProgress } : {}),
      });
      return { ...out, wasRunning: st.status === 'running' };
    });
  }, 'migrate');
}

/** After the target took over: this QEMU quits, the definition and its disks go. */
export async function releaseVm(ctx: VmContext, name: string, to: string): Promise<{ removedDisks: string[] }> {
  const rec = await loadRecord(ctx.paths, name).catch(() => undefined);
  if (!rec) return { removedDisks: [] }; // released already
  const pid = await livePid(ctx.paths, rec);
  if (pid) {
    await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
      const st = await queryStatus(q);
      if (st.status === 'running') throw new NovaError('CONFLICT', `VM ${name} is running here again: it is not released to ${to}`);
      await quit(q);
    });
    await waitForExit(pid, 10_000);
  }
  publish(ctx, name, 'stopped', `migrated to host ${to}`);
  // Its addresses stay reserved on this host's side of each switch (unserved): nothing here takes them while it runs there.
  const removed = await deleteVm(ctx, name, true, { keepAddresses: true }).catch(async () => deleteVm(ctx, name, false, { keepAddresses: true }));
  return { removedDisks: removed.removedDisks };
}

/**
 * The undo: mirrors and the migration cancelled, the guest running here. `neverRanThere`: the
 * switch-over completed but the target proved the guest never ran there and removed its copy, so
 * this one (paused in postmigrate, its disks as they were at the switch-over) resumes.
 */
export async function keepVm(ctx: VmContext, name: string, diskCount: number, o: { neverRanThere?: boolean; why?: string } = {}): Promise<void> {
  const resumed = await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => {
    await abortSource(q, diskCount, { resumeCompleted: o.neverRanThere === true });
    return (await queryStatus(q)).status === 'running';
  }).catch(() => false);
  if (resumed && o.why) publish(ctx, name, 'running', o.why);
}
