// Typed QMP commands Nova uses, on top of the protocol. Jobs (snapshot-save/load/delete) are
// awaited to completion and dismissed so they never pile up in QEMU.
import { NovaError } from '../../../shared/errors.js';
import type { QmpProtocol } from './protocol.js';

export type RunStatus =
  | 'running' | 'paused' | 'prelaunch' | 'inmigrate' | 'postmigrate' | 'finish-migrate' | 'shutdown'
  | 'suspended' | 'internal-error' | 'io-error' | 'guest-panicked' | 'restore-vm' | 'save-vm' | 'debug' | 'watchdog' | 'colo';

export const queryStatus = (q: QmpProtocol) => q.execute<{ status: RunStatus; running: boolean }>('query-status', undefined, { timeoutMs: 3000 });
export const stop = (q: QmpProtocol) => q.execute('stop');
export const cont = (q: QmpProtocol) => q.execute('cont');
export const systemPowerdown = (q: QmpProtocol) => q.execute('system_powerdown');
export const systemReset = (q: QmpProtocol) => q.execute('system_reset');
/** One key press and release, as a keyboard would send it (QEMU's qcode names: 'ret', 'esc', …). */
export const sendKey = (q: QmpProtocol, qcode: string) => q.execute('send-key', { keys: [{ type: 'qcode', data: qcode }] });

/** quit: QEMU may drop the socket before replying; that counts as success. */
export async function quit(q: QmpProtocol): Promise<void> {
  await q.execute('quit', undefined, { timeoutMs: 5000 }).catch((e: NovaError) => {
    if (!/connection closed/.test(e.message)) throw e;
  });
}

interface JobInfo {
  id: string;
  type: string;
  status: string;
  error?: string;
  'current-progress': number;
  'total-progress': number;
}

/** Waits for a job to conclude, dismisses it, throws its error. */
export async function awaitJob(q: QmpProtocol, id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await q.execute<JobInfo[]>('query-jobs');
    const job = jobs.find((j) => j.id === id);
    if (!job) throw new NovaError('INTERNAL', `QMP job ${id} vanished`);
    if (job.status === 'concluded' || job.status === 'null') {
      await q.execute('job-dismiss', { id }).catch(() => undefined);
      if (job.error) throw new NovaError('INTERNAL', `${job.type}: ${job.error}`, { job: id });
      return;
    }
    if (signal?.aborted) {
      await q.execute('job-cancel', { id }).catch(() => undefined);
      throw new NovaError('CANCELLED', `${job.type} cancelled`);
    }
    if (Date.now() > deadline) throw new NovaError('TIMEOUT', `${job.type} did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let jobSeq = 0;
const jobId = (kind: string) => `nova-${kind}-${process.pid}-${++jobSeq}`;

export async function snapshotSave(q: QmpProtocol, tag: string, vmstate: string, devices: string[], timeoutMs = 120_000): Promise<void> {
  const id = jobId('save');
  await q.execute('snapshot-save', { 'job-id': id, tag, vmstate, devices });
  await awaitJob(q, id, timeoutMs);
}

export async function snapshotLoad(q: QmpProtocol, tag: string, vmstate: string, devices: string[], timeoutMs = 120_000): Promise<void> {
  const id = jobId('load');
  await q.execute('snapshot-load', { 'job-id': id, tag, vmstate, devices });
  await awaitJob(q, id, timeoutMs);
}

export async function snapshotDelete(q: QmpProtocol, tag: string, devices: string[], timeoutMs = 60_000): Promise<void> {
  const id = jobId('delete');
  await q.execute('snapshot-delete', { 'job-id': id, tag, devices });
  await awaitJob(q, id, timeoutMs);
}

/** `existing`: QEMU opens an overlay Nova made (a confined QEMU may not create files there). */
export const blockdevSnapshotSync = (q: QmpProtocol, node: string, file: string, overlayNode: string, mode?: 'existing') =>
  q.execute('blockdev-snapshot-sync', { 'node-name': node, 'snapshot-file': file, 'snapshot-node-name': overlayNode, format: 'qcow2', ...(mode ? { mode } : {}) });

export interface MigrationInfo {
  status?: 'none' | 'setup' | 'cancelling' | 'cancelled' | 'active' | 'postcopy-active' | 'completed' | 'failed' | 'device' | 'wait-unplug' | 'pre-switchover';
  'total-time'?: number;
  downtime?: number;
  'error-desc'?: string;
  ram?: { transferred: number; remaining: number; total: number };
}
export const migrate = (q: QmpProtocol, uri: string) => q.execute('migrate', { uri });
export const migrateIncoming = (q: QmpProtocol, uri: string) => q.execute('migrate-incoming', { uri });
export const migrateCancel = (q: QmpProtocol) => q.execute('migrate_cancel');
export const queryMigrate = (q: QmpProtocol) => q.execute<MigrationInfo>('query-migrate');

export interface TpmInfo {
  id: string;
  model: string;
  options: { type: string; data?: Record<string, unknown> };
}
export const queryTpm = (q: QmpProtocol) => q.execute<TpmInfo[]>('query-tpm');

/** HMP passthrough (qemu-io for tests, `info` commands for diagnostics). */
export const hmp = (q: QmpProtocol, commandLine: string) => q.execute<string>('human-monitor-command', { 'command-line': commandLine });

export const queryBalloon = (q: QmpProtocol) => q.execute<{ actual: number }>('query-balloon');
export const setBalloon = (q: QmpProtocol, value: number) => q.execute('balloon', { value });

export const screendump = (q: QmpProtocol, filename: string) => q.execute('screendump', { filename, format: 'png' });

export interface QmpSnapshot {
  name: string;
  'vm-state-size': number;
  'date-sec': number;
  'vm-clock-sec': number;
}

/** Internal snapshots per block node, straight from the running QEMU (no qemu-img spawn). */
export async function nodeSnapshots(q: QmpProtocol): Promise<Map<string, QmpSnapshot[]>> {
  const nodes = await q.execute<{ 'node-name': string; image: { snapshots?: QmpSnapshot[] } }[]>('query-named-block-nodes', { flat: true });
  return new Map(nodes.map((n) => [n['node-name'], n.image.snapshots ?? []]));
}
