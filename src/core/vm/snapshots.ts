// Snapshots. Running VM: live internal snapshots through the snapshot-save/load/delete jobs
// (RAM + every writable qcow2 disk, pflash vars excluded). Stopped VM: disk-only through
// qemu-img. External: a new qcow2 overlay per disk via blockdev-snapshot-sync. UEFI variables:
// a copy per snapshot, internal or external (./snapshot-vars.ts).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmContext } from './context.js';
import { imageInfo } from './disks.js';
import { thawIfFrozen, withFrozenGuest } from './guest.js';
import type { FreezeOutcome } from './guest.js';
import { vmLock } from './power.js';
import { vmFeatures } from './config/features.js';
import { dropVarsCopy, hasVarsCopy, restoreVarsCopy, saveVarsCopy } from './snapshot-vars.js';
import { liveStateBlocker } from './share-guard.js';
import { blockdevSnapshotSync, cont, nodeSnapshots, queryStatus, stop as qmpStop, snapshotDelete, snapshotLoad, snapshotSave } from './qmp/commands.js';
import type { QmpSnapshot } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import type { QmpProtocol } from './qmp/protocol.js';
import { processState } from './state.js';
import { withReverter } from '../sys/reverter.js';
import { deleteExternal, externalHits, restoreExternal } from './snapshot-external.js';
import { handOver, handoverFile } from './confine.js';
import type { RunAs } from './confine.js';
import type { ResolvedDisk } from './config/types.js';
import { layoutOf, loadRecord, readRuntime, resolveDisks, saveRecord, vmDir } from './store.js';
import type { VmRecord } from './store.js';

function snapshotDisks(rec: VmRecord) {
  const disks = resolveDisks(rec).filter((d) => !d.readonly);
  const raw = disks.find((d) => d.format !== 'qcow2');
  if (raw) throw new NovaError('INVALID_INPUT', `disk ${raw.path} is raw: snapshots need qcow2 disks (convert with \`nova vm disk import\`)`);
  if (disks.length === 0) throw new NovaError('INVALID_INPUT', `VM ${rec.name} has no writable qcow2 disk to hold a snapshot; add one to disks`);
  return disks;
}

const defaultTag = () => `snap-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`;

async function live(ctx: VmContext, rec: VmRecord): Promise<boolean> {
  const st = await processState(ctx.paths, rec); // no QMP round trip: the operation opens its own session
  if (st.state === 'running') return true;
  if (st.state === 'stopped' || st.state === 'crashed') return false;
  throw new NovaError('CONFLICT', `VM ${rec.name} is ${st.state}; try again in a moment`);
}

export interface SnapshotRow {
  tag: string;
  vmStateSize: number;
  date: number;
  vmClock: number;
  disks: string[];
  /** Nova keeps the UEFI variable store as it was at this snapshot. */
  uefiVars?: boolean;
}

/** Snapshot rows from a live QEMU (one QMP call). */
function rowsFrom(perNode: Map<string, QmpSnapshot[]>, nodes: string[]): SnapshotRow[] {
  const rows = new Map<string, SnapshotRow>();
  for (const node of nodes) {
    for (const s of perNode.get(node) ?? []) {
      const row = rows.get(s.name) ?? { tag: s.name, vmStateSize: 0, date: s['date-sec'], vmClock: s['vm-clock-sec'], disks: [] };
      row.vmStateSize += s['vm-state-size'];
      row.disks.push(node);
      rows.set(s.name, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.date - b.date);
}

const qcow2Nodes = (rec: VmRecord) => resolveDisks(rec).filter((x) => x.format === 'qcow2').map((d) => d.node);

export async function listSnapshots(ctx: VmContext, name: string): Promise<SnapshotRow[]> {
  const rows = await snapshotRows(ctx, name);
  return rows.map((r) => (hasVarsCopy(ctx.paths, name, r.tag) ? { ...r, uefiVars: true } : r));
}

async function snapshotRows(ctx: VmContext, name: string): Promise<SnapshotRow[]> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await processState(ctx.paths, rec);
  if (st.state === 'running' || st.state === 'shutting-down') {
    const perNode = await withQmp(layoutOf(ctx.paths, name).qmp, nodeSnapshots).catch(() => undefined);
    if (perNode) return rowsFrom(perNode, qcow2Nodes(rec));
  }
  const rows = new Map<string, SnapshotRow>();
  for (const d of resolveDisks(rec).filter((x) => x.format === 'qcow2')) {
    const info = await imageInfo(ctx.runner, d.path).catch(() => undefined);
    for (const s of info?.snapshots ?? []) {
      const row = rows.get(s.name) ?? { tag: s.name, vmStateSize: 0, date: s['date-sec'], vmClock: s['vm-clock-sec'], disks: [] };
      row.vmStateSize += s['vm-state-size'];
      row.disks.push(d.node);
      rows.set(s.name, row);
    }
  }
  return [...rows.values()].sort((a, b) => a.date - b.date);
}

export async function createSnapshot(ctx: VmContext, name: string, tag = defaultTag(), external = false) {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const disks = snapshotDisks(rec);
    const t0 = performance.now();
    const consistency = (f: FreezeOutcome) => ({ fsFreeze: f, consistency: f.frozen ? 'filesystem' as const : 'crash' as const });
    const varsFlag = (kept: boolean) => (kept ? { uefiVars: true } : {});
    if (external && vmFeatures(rec.spec).uefi && hasVarsCopy(ctx.paths, name, tag)) throw new NovaError('CONFLICT', `VM ${name} already has a snapshot "${tag}" (its UEFI variables are kept under that tag): pick another --tag`, { tag });
    if (external && (await live(ctx, rec))) {
      const { result, freeze } = await withFrozenGuest(ctx, name, () => externalSnapshot(ctx, rec, tag));
      return { name, tag, external: true, overlays: result.overlays, durationMs: performance.now() - t0, ...varsFlag(result.uefiVars), ...consistency(freeze) };
    }
    if (external) {
      const result = await externalSnapshot(ctx, rec, tag);
      return { name, tag, external: true, overlays: result.overlays, durationMs: performance.now() - t0, ...varsFlag(result.uefiVars) };
    }
    const dup = () => new NovaError('CONFLICT', `VM ${name} already has a snapshot "${tag}"`);
    if (await live(ctx, rec)) {
      const blocked = liveStateBlocker(name, await readRuntime(ctx.paths, name), 'snapshot');
      if (blocked) throw blocked;
      const qmpPath = layoutOf(ctx.paths, name).qmp;
      if (rowsFrom(await withQmp(qmpPath, nodeSnapshots), qcow2Nodes(rec)).some((s) => s.tag === tag)) throw dup();
      // The agent flushes and freezes the guest's filesystems, so the disks hold no half-written state.
      const { result: uefiVars, freeze } = await withFrozenGuest(ctx, name, () => withQmp(qmpPath, (q) => liveSave(ctx, rec, q, tag, disks)));
      return { name, tag, external: false, durationMs: performance.now() - t0, ...(uefiVars ? { uefiVars } : {}), ...consistency(freeze) };
    }
    if ((await listSnapshots(ctx, name)).some((s) => s.tag === tag)) throw dup();
    for (const d of disks) await ctx.runner.run(['qemu-img', 'snapshot', '-c', tag, d.path], { timeoutMs: 120_000 });
    const uefiVars = vmFeatures(rec.spec).uefi && (await saveVarsCopy(ctx.paths, name, tag));
    return { name, tag, external: false, durationMs: performance.now() - t0, ...(uefiVars ? { uefiVars } : {}) };
  }, 'snapshot');
}

/**
 * snapshot-save, and for a UEFI VM a copy of its variable store taken with the vCPUs paused, so
 * the copy and the saved RAM (which holds the flash contents) agree. Returns whether vars were kept.
 */
async function liveSave(ctx: VmContext, rec: VmRecord, q: QmpProtocol, tag: string, disks: ResolvedDisk[]): Promise<boolean> {
  const save = () => snapshotSave(q, tag, disks[0]!.node, disks.map((d) => d.node));
  if (!vmFeatures(rec.spec).uefi) {
    await save();
    return false;
  }
  const wasRunning = (await queryStatus(q)).running;
  if (wasRunning) await qmpStop(q);
  try {
    const copied = await saveVarsCopy(ctx.paths, rec.name, tag);
    await save().catch(async (e: unknown) => {
      await dropVarsCopy(ctx.paths, rec.name, tag);
      throw e;
    });
    return copied;
  } finally {
    if (wasRunning) await cont(q);
  }
}

/**
 * One overlay per disk; a UEFI VM's variable store is copied under the tag first, with the vCPUs
 * paused until the overlays are in place (the copy and the new layers start at the same moment).
 */
async function externalSnapshot(ctx: VmContext, rec: VmRecord, tag: string): Promise<{ overlays: string[]; uefiVars: boolean }> {
  const disks = snapshotDisks(rec);
  const running = await live(ctx, rec);
  const uefi = vmFeatures(rec.spec).uefi;
  const qmpPath = layoutOf(ctx.paths, rec.name).qmp;
  const paused = uefi && running ? await withQmp(qmpPath, async (q) => (await queryStatus(q)).running && (await qmpStop(q), true)) : false;
  try {
    const uefiVars = uefi && (await saveVarsCopy(ctx.paths, rec.name, tag));
    const made = await overlaysFor(ctx, rec, disks, tag, running).catch(async (e: unknown) => {
      if (uefiVars) await dropVarsCopy(ctx.paths, rec.name, tag);
      throw e;
    });
    return { overlays: made, uefiVars };
  } finally {
    if (paused) await withQmp(qmpPath, cont);
  }
}

async function overlaysFor(ctx: VmContext, rec: VmRecord, disks: ResolvedDisk[], tag: string, running: boolean): Promise<string[]> {
  const overlays: Record<string, string> = { ...(rec.overlays ?? {}) };
  const made: string[] = [];
  for (const d of disks) {
    const file = join(vmDir(ctx.paths, rec.name), `${d.node}-${tag}.qcow2`);
    const runAs = running && (await readRuntime(ctx.paths, rec.name))?.runAs ? ctx.runAs?.() : undefined;
    if (runAs) {
      await confinedOverlay(ctx, rec, d, file, tag, runAs);
    } else if (running) {
      await withQmp(layoutOf(ctx.paths, rec.name).qmp, (q) => blockdevSnapshotSync(q, d.node, file, `${d.node}-${tag}`));
    } else {
      await ctx.runner.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', d.path, '-F', d.format, file]);
    }
    overlays[d.node] = file;
    made.push(file);
  }
  // Next starts boot from the overlays (their backing chain leads to the original disks).
  await saveRecord(ctx.paths, { ...rec, overlays });
  return made;
}

/**
 * A root-started QEMU runs as its run-as user and may not create files in the VM's folder: Nova
 * makes the overlay (without opening the disk QEMU holds: -u and the size), hands it over, and
 * QEMU opens it (mode existing).
 */
async function confinedOverlay(ctx: VmContext, rec: VmRecord, d: ResolvedDisk, file: string, tag: string, runAs: RunAs): Promise<void> {
  const size = (await imageInfo(ctx.runner, d.path))['virtual-size'];
  await withReverter(async (r) => {
    r.add(() => rm(file, { force: true }), 'remove the overlay');
    await ctx.runner.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-u', '-b', d.path, '-F', d.format, file, String(size)]);
    await handOver(handoverFile(vmDir(ctx.paths, rec.name)), runAs, [file], r);
    await withQmp(layoutOf(ctx.paths, rec.name).qmp, (q) => blockdevSnapshotSync(q, d.node, file, `${d.node}-${tag}`, 'existing'));
  });
}

const requireTag = async (ctx: VmContext, name: string, tag: string) => findTag(await listSnapshots(ctx, name), name, tag);

function findTag(rows: SnapshotRow[], name: string, tag: string): SnapshotRow {
  const s = rows.find((x) => x.tag === tag);
  if (!s) throw new NovaError('NOT_FOUND', `VM ${name} has no snapshot "${tag}" — see \`nova snapshot ls vm ${name}\``, { tag });
  return s;
}

/** A stopped VM: apply (-a) or delete (-d) the tag with qemu-img on every disk that has it. */
async function offlineSnapshotOp(ctx: VmContext, rec: VmRecord, tag: string, op: '-a' | '-d'): Promise<void> {
  const snap = await requireTag(ctx, rec.name, tag);
  for (const d of snapshotDisks(rec).filter((x) => snap.disks.includes(x.node))) {
    await ctx.runner.run(['qemu-img', 'snapshot', op, tag, d.path], { timeoutMs: 120_000 });
  }
}

/**
 * Restore and delete: on a running VM through QMP with the tag's row, on a stopped one with
 * qemu-img (`offline`), under the VM's lock; reports how long it took.
 */
async function tagOp(ctx: VmContext, name: string, tag: string, what: string, online: (q: QmpProtocol, snap: SnapshotRow, rec: VmRecord) => Promise<void>, offline: '-a' | '-d', afterOffline?: () => Promise<void>) {
  return vmLock(ctx, name, async () => {
    const rec = await loadRecord(ctx.paths, name);
    const t0 = performance.now();
    if (await live(ctx, rec)) {
      await withQmp(layoutOf(ctx.paths, name).qmp, async (q) => online(q, findTag(rowsFrom(await nodeSnapshots(q), qcow2Nodes(rec)), name, tag), rec));
    } else {
      await offlineSnapshotOp(ctx, rec, tag, offline);
      await afterOffline?.();
    }
    return { name, tag, durationMs: performance.now() - t0 };
  }, what);
}

/** A tag no internal snapshot has, but an external snapshot (an overlay in the chain) does. */
async function isExternalOnly(ctx: VmContext, name: string, tag: string): Promise<boolean> {
  if ((await listSnapshots(ctx, name)).some((s) => s.tag === tag)) return false;
  return (await externalHits(ctx, await loadRecord(ctx.paths, name), tag)).length > 0;
}

/**
 * QEMU says only "Error -22 while loading VM state" when a RAM snapshot's device state does not fit
 * the VM's devices (the section it could not place goes to its stderr: the VM's qemu.log). The
 * one device Nova itself changed under existing VMs is the display: Linux and other non-Windows
 * VMs had standard VGA before virtio-vga became their default, so their older RAM
 * snapshots hold a "vga" section a virtio-vga VM cannot take. The error names that fix (and the
 * reverse one for a VM switched to VGA). QEMU leaves the VM paused in restore-vm, its RAM loaded
 * and its devices half-loaded: it must be force-stopped before anything else.
 */
export function snapshotLoadError(e: unknown, rec: Pick<VmRecord, 'name' | 'spec'>, tag: string): unknown {
  const msg = e instanceof Error ? e.message : String(e);
  if (!/Error -22 while loading VM state/.test(msg)) return e;
  const display = vmFeatures(rec.spec).display;
  const other = display === 'virtio' ? 'vga' : 'virtio';
  const when = display === 'virtio'
    ? `It was most likely taken while the VM had standard VGA (every Linux VM's RAM snapshot from before virtio-vga became their default, or one taken with display = "vga")`
    : 'It was most likely taken while the VM had virtio-vga';
  return new NovaError(
    'CONFLICT',
    `snapshot "${tag}" of VM ${rec.name} holds device state that does not fit the VM's devices now (QEMU: ${msg.replace(/^snapshot-load: /, '')}). ${when}: set display = "${other}" for VM ${rec.name} ([vm.${rec.name}] display = "${other}" in its NovaFile, or vm.update), start it and restore "${tag}" again. QEMU left VM ${rec.name} paused with the snapshot half-loaded: force stop it first (nova vm destroy ${rec.name}).`,
    { field: 'display', fix: other, tag },
  );
}

export async function restoreSnapshot(ctx: VmContext, name: string, tag: string) {
  if (await isExternalOnly(ctx, name, tag)) return restoreExternal(ctx, name, tag);
  const r = await tagOp(ctx, name, tag, 'snapshot restore', async (q, snap, rec) => {
    if (snap.vmStateSize === 0) throw new NovaError('CONFLICT', `snapshot "${tag}" holds no RAM state (taken while stopped); stop VM ${name} to restore it`);
    const disks = snapshotDisks(rec).filter((d) => snap.disks.includes(d.node));
    await snapshotLoad(q, tag, disks[0]!.node, disks.map((d) => d.node)).catch((e: unknown) => {
      throw snapshotLoadError(e, rec, tag);
    });
  }, '-a', async () => {
    // Stopped: the disks went back with qemu-img, the variable store goes back from its copy.
    await restoreVarsCopy(ctx.paths, name, tag);
  });
  // Live: QEMU writes the flash contents of the restored RAM back to the variable store itself.
  const uefiVars = hasVarsCopy(ctx.paths, name, tag);
  // A snapshot taken with the guest frozen comes back frozen (its RAM says so): thaw it.
  await thawIfFrozen(ctx, name);
  return { ...r, ...(uefiVars ? { uefiVars } : {}) };
}

export async function deleteSnapshot(ctx: VmContext, name: string, tag: string) {
  if (await isExternalOnly(ctx, name, tag)) return deleteExternal(ctx, name, tag);
  const r = await tagOp(ctx, name, tag, 'snapshot delete', (q, snap) => snapshotDelete(q, tag, snap.disks), '-d');
  await dropVarsCopy(ctx.paths, name, tag);
  return r;
}
