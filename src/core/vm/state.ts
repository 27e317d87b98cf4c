// A VM's state, derived from the host every time: pidfile → /proc/<pid>/cmdline must contain
// qemu-system and the VM's uuid → QMP query-status. Marker files left by Nova operations
// (starting, stopping, user-stop, migrated) refine the answer; nothing is cached.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { VmState } from '../../shared/contract/vm.js';
import { pidAlive, processMatches, readPidFile } from '../sys/proc.js';
import type { NovaPaths } from '../sys/paths.js';
import { queryStatus } from './qmp/commands.js';
import type { RunStatus } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf, runtimeDir } from './store.js';
import { readSmall } from '../sys/small-files.js';
import type { VmRecord } from './store.js';

export interface DerivedState {
  state: VmState;
  reason?: string;
  pid?: number;
  /** The raw QMP run status when QEMU answered. */
  qmpStatus?: RunStatus;
}

export type Marker = 'starting' | 'stopping' | 'user-stop' | 'migrated';
export const markerPath = (paths: NovaPaths, name: string, m: Marker) => join(layoutOf(paths, name).markers, `${m}.marker`);
// Synchronous (small files, see sys/small-files.ts); async for the callers.
export const readMarker = async (paths: NovaPaths, name: string, m: Marker) => readSmall(`${runtimeDir(paths, name)}/${m}.marker`)?.trim();

/** The QEMU pid when the pidfile points at this VM's QEMU (stale pidfiles never adopt strangers). */
export async function livePid(paths: NovaPaths, rec: VmRecord): Promise<number | undefined> {
  // A QEMU started before the pidfile moved into the scratch folder wrote it one level up.
  const l = layoutOf(paths, rec.name);
  const pid = (await readPidFile(l.pidfile)) ?? (await readPidFile(join(l.markers, 'qemu.pid')));
  if (pid === undefined) return undefined;
  return (await processMatches(pid, ['qemu-system', rec.uuid])) ? pid : undefined;
}

/** The reason a VM's state shows: its own, else for a live VM under TCG the accelerator's (a warning). */
export function stateReason(st: DerivedState, accel: { kind: string; reason: string } | undefined): string | undefined {
  const live = st.state !== 'stopped' && st.state !== 'crashed';
  if (st.reason || !live || accel?.kind !== 'tcg') return st.reason;
  return /TCG/.test(accel.reason) ? accel.reason : `TCG software emulation: ${accel.reason}`;
}

/** Cheap derivation without QMP (the watcher polls this): process and markers only. */
export async function processState(paths: NovaPaths, rec: VmRecord): Promise<DerivedState> {
  // No runtime folder: no pidfile and no marker either — a VM that never ran since boot (the
  // common case in a long list) costs one existsSync.
  if (!existsSync(runtimeDir(paths, rec.name))) return { state: 'stopped' };
  const pid = await livePid(paths, rec);
  const starting = await readMarker(paths, rec.name, 'starting');
  // The starter (this or another process: the CLI, another window) clears the marker once QMP
  // said "running"; until then a live QEMU is still starting.
  const startInProgress = Boolean(starting && pidAlive(Number(starting)));
  if (pid !== undefined) {
    if (await readMarker(paths, rec.name, 'stopping')) return { state: 'shutting-down', pid, reason: 'power-down requested' };
    if (startInProgress) return { state: 'starting', pid, reason: 'QEMU is being started' };
    return { state: 'running', pid };
  }
  if (startInProgress) return { state: 'starting', reason: 'QEMU is being started' };
  // After a stop someone asked for (the marker is written before the stop), a leftover pidfile
  // is not a crash either, nor is what QEMU said as it went.
  const asked = await readMarker(paths, rec.name, 'user-stop');
  if (existsSync(layoutOf(paths, rec.name).pidfile) && !asked) {
    // QEMU removes its pidfile on every clean exit: a leftover one means it was killed or crashed.
    const said = lastQemuMessage(paths, rec.name);
    return { state: 'crashed', reason: `QEMU exited without a clean shutdown (killed or crashed)${said ? `; its last message: ${said}` : ''}; see \`nova logs vm ${rec.name}\`` };
  }
  const migrated = await readMarker(paths, rec.name, 'migrated');
  if (migrated) return { state: 'stopped', reason: `migrated to ${migrated}` };
  // A clean exit nobody here asked for, with a message: an error, a signal from a shell.
  const said = asked ? undefined : lastQemuMessage(paths, rec.name);
  return said ? { state: 'stopped', reason: `QEMU ended: ${said}` } : { state: 'stopped' };
}

/** QEMU's last error from its log (-D; warnings at start-up skipped), when it said anything. */
export function lastQemuMessage(paths: NovaPaths, name: string): string | undefined {
  const log = layoutOf(paths, name).qemuLog;
  const size = statSync(log, { throwIfNoEntry: false })?.size;
  if (!size || size > 1024 * 1024) return undefined;
  const lines = (readSmall(log) ?? '').split('\n').map((l) => l.replace(/^[\d\-T:.]+Z? /, '').replace(/^qemu-system-\w+: /, '').trim());
  return lines.filter((l) => l && !/^warning:/i.test(l)).at(-1)?.slice(0, 300);
}

const STATUS_MAP: Partial<Record<RunStatus, { state: VmState; reason?: string }>> = {
  running: { state: 'running' },
  paused: { state: 'paused' },
  suspended: { state: 'paused', reason: 'guest suspended itself (S3)' },
  prelaunch: { state: 'starting' },
  inmigrate: { state: 'starting', reason: 'waiting for an incoming live migration' },
  'restore-vm': { state: 'starting', reason: 'restoring a snapshot' },
  'save-vm': { state: 'paused', reason: 'saving a snapshot' },
  'finish-migrate': { state: 'paused', reason: 'finishing a live migration' },
  postmigrate: { state: 'paused', reason: 'migrated away; this copy is about to quit' },
  shutdown: { state: 'shutting-down' },
  'io-error': { state: 'paused', reason: 'paused on a disk I/O error (disk full?)' },
  'internal-error': { state: 'crashed', reason: 'QEMU reported an internal error' },
  'guest-panicked': { state: 'crashed', reason: 'the guest kernel panicked' },
  watchdog: { state: 'paused', reason: 'the guest watchdog fired' },
};

/** Full derivation: process, markers, then QMP query-status for a live QEMU. */
export async function deriveState(paths: NovaPaths, rec: VmRecord): Promise<DerivedState> {
  const base = await processState(paths, rec);
  if (base.state !== 'running') return base;
  try {
    const st = await withQmp(layoutOf(paths, rec.name).qmp, queryStatus, { greetingTimeoutMs: 3000 });
    const mapped = STATUS_MAP[st.status] ?? { state: 'running' as VmState, reason: `QEMU status ${st.status}` };
    return { ...mapped, pid: base.pid, qmpStatus: st.status };
  } catch (e) {
    // Alive but QMP did not answer in time (busy with a long command from another process).
    return { state: 'running', pid: base.pid, reason: `QMP did not answer: ${(e as Error).message}` };
  }
}
