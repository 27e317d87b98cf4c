import type { VmDiskChain } from '../../../shared/contract/vm.js';
import type { InstanceKind } from './actions';
import { act } from './actions';
import { call } from './rpc';

/** One snapshot as the manager shows it, whatever kind of instance it belongs to. */
export interface SnapshotRow {
  tag: string;
  /** Milliseconds since the epoch. */
  takenAt: number;
  /** Saved RAM/device state (VMs) or the archived writable layer (capsules). */
  sizeBytes: number;
  /** What a restore brings back. */
  contents: 'RAM + disks' | 'disks only' | 'writable layer';
}

/** Snapshots of a VM or capsule, newest first, and (VMs) each disk's external-snapshot chain. */
export async function listSnapshots(kind: InstanceKind, name: string): Promise<{ rows: SnapshotRow[]; chain: VmDiskChain[] }> {
  if (kind === 'vm') {
    const r = await call('vm.snapshot.list', { name });
    const rows: SnapshotRow[] = r.snapshots.map((s) => ({ tag: s.tag, takenAt: s.date * 1000, sizeBytes: s.vmStateSize, contents: s.vmStateSize > 0 ? 'RAM + disks' : 'disks only' }));
    return { rows: rows.sort((a, b) => b.takenAt - a.takenAt), chain: r.chain ?? [] };
  }
  const rows: SnapshotRow[] = (await call('capsule.snapshot.list', { name })).items.map((s) => ({ tag: s.tag, takenAt: s.createdAt, sizeBytes: s.sizeBytes, contents: 'writable layer' }));
  return { rows: rows.sort((a, b) => b.takenAt - a.takenAt), chain: [] };
}

/** What a snapshot taken now will hold, by the instance's state. */
export function nextSnapshotContents(kind: InstanceKind, state: string): string {
  if (kind === 'capsule') return state === 'running' ? 'the writable layer (the capsule is frozen for the copy)' : 'the writable layer';
  return state === 'running' || state === 'paused' ? 'RAM and disks (the VM pauses while its memory is saved)' : 'disks only (the VM is stopped)';
}

/** `external` (VMs): a new qcow2 overlay per disk instead of an internal snapshot; disks only. */
export const takeSnapshot = (kind: InstanceKind, name: string, tag: string, external = false): Promise<boolean> =>
  kind === 'vm'
    ? act('vm.snapshot.create', { name, tag, ...(external ? { external } : {}) }, `${name}: ${external ? 'external ' : ''}snapshot ${tag} taken`)
    : act('capsule.snapshot.create', { name, tag }, `${name}: snapshot ${tag} taken`);

export const restoreSnapshot = (kind: InstanceKind, name: string, tag: string): Promise<boolean> =>
  kind === 'vm' ? act('vm.snapshot.restore', { name, tag }, `${name}: restored ${tag}`) : act('capsule.snapshot.restore', { name, tag }, `${name}: restored ${tag}`);

export const deleteSnapshot = (kind: InstanceKind, name: string, tag: string): Promise<boolean> =>
  kind === 'vm' ? act('vm.snapshot.delete', { name, tag }, `${name}: snapshot ${tag} deleted`) : act('capsule.snapshot.rm', { name, tag }, `${name}: snapshot ${tag} deleted`);

/** A default tag: snap-YYYYMMDD-HHMM in local time. */
export function defaultTag(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `snap-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}`;
}

export const TAG_RULE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
