// Live migration without shared storage, as QMP sequences for the two QEMUs (issue #22's facts):
// the target exports its empty disks over NBD and waits for the RAM stream; the source mirrors
// each disk into the target's export, waits until every mirror is READY, migrates RAM with
// pause-before-switchover, and at `pre-switchover` cancels the (ready, hence complete) mirrors
// before letting the switch-over finish. Results arrive as events, not replies, so every wait
// here watches events and fails on the first error event. Transport-agnostic: the addresses may
// be loopback ends of SSH forwards or plain TCP.
import { NovaError } from '../../../shared/errors.js';
import type { QmpEvent, QmpProtocol } from '../qmp/protocol.js';
import type { MigrationInfo } from '../qmp/commands.js';

export interface InetAddr {
  host: string;
  port: number;
}

/** A TCP address, or a unix socket (an SSH forward's end: nothing listens on the network). */
export type SocketAddr = InetAddr | { path: string };

const qmpAddr = (a: SocketAddr) => ('path' in a ? { type: 'unix', path: a.path } : { type: 'inet', host: a.host, port: String(a.port) });
/** As a migration URI: unix:PATH or tcp:HOST:PORT. */
export const migrationUri = (a: SocketAddr) => ('path' in a ? `unix:${a.path}` : `tcp:${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`);

export interface TargetPlan {
  /** Where the target's NBD server listens. */
  nbd: SocketAddr;
  /** The target's block node of each disk and the export name it is offered under. */
  disks: { node: string; exportName: string }[];
  /** The RAM stream's URI on the target, e.g. tcp:127.0.0.1:4444. */
  incoming: string;
}

export interface SourcePlan {
  /** Where the source reaches the target's NBD server (an SSH forward's local end, or the target). */
  nbd: SocketAddr;
  /** The source's block node of each disk, the target export it goes to ('top': the target has its backing image). */
  disks: { node: string; exportName: string; sync?: 'full' | 'top' }[];
  /** Where the source sends RAM. */
  uri: string;
  /** 'top' when the target already has the backing image. */
  sync?: 'full' | 'top';
  bandwidthBytesPerSec?: number;
  downtimeLimitMs?: number;
  signal?: AbortSignal;
  onProgress?: (p: MigrateProgress) => void;
  /** Deadline for each phase (mirror READY, RAM completed). */
  phaseTimeoutMs?: number;
}

export interface MigrateProgress {
  phase: 'mirror' | 'ram' | 'switchover';
  /** Disk bytes copied / to copy (all mirrors), RAM bytes sent / total. */
  done: number;
  total: number;
  /** Bytes per second of the RAM phase, as QEMU reports it. */
  rate?: number;
  expectedDowntimeMs?: number;
}

export interface MigrateOutcome {
  totalMs: number;
  downtimeMs?: number;
  ramBytes?: number;
  diskBytes: number;
}

const mirrorNode = (i: number) => `nova-xmig-${i}`;

/** Target: NBD exports of its disks (writable), then wait for the stream. */
export async function prepareTarget(q: QmpProtocol, plan: TargetPlan): Promise<void> {
  const { type, ...data } = qmpAddr(plan.nbd);
  await q.execute('nbd-server-start', { addr: { type, data } });
  for (const d of plan.disks) {
    await q.execute('block-export-add', { type: 'nbd', id: d.exportName, 'node-name': d.node, name: d.exportName, writable: true });
  }
  await q.execute('migrate-incoming', { uri: plan.incoming });
}

/** Target, once running: the NBD server goes (its exports with it). */
export async function finishTarget(q: QmpProtocol): Promise<void> {
  await q.execute('nbd-server-stop').catch(() => undefined);
}

/**
 * Resolves with the first event `match` accepts; rejects on `fail`'s message, the signal, or the
 * deadline. `already`: asked once the listener is on, for what happened before it ('met': resolve
 * now; another text: reject with it) — an event QEMU sent before that is never seen again.
 */
function waitEvent(q: QmpProtocol, what: string, match: (e: QmpEvent) => boolean, fail: (e: QmpEvent) => string | undefined, timeoutMs: number, signal?: AbortSignal, already?: () => Promise<string | undefined>): Promise<QmpEvent | undefined> {
  return new Promise((resolve, reject) => {
    const done = (fn: () => void) => {
      clearTimeout(timer);
      q.off('event', onEvent);
      q.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onEvent = (e: QmpEvent) => {
      const why = fail(e);
      if (why) return done(() => reject(new NovaError('INTERNAL', `${what}: ${why}`)));
      if (match(e)) done(() => resolve(e));
    };
    const onClose = () => done(() => reject(new NovaError('INTERNAL', `${what}: QEMU's monitor closed (QEMU exited?)`)));
    const onAbort = () => done(() => reject(new NovaError('CANCELLED', `${what}: cancelled`)));
    const timer = setTimeout(() => done(() => reject(new NovaError('TIMEOUT', `${what}: not within ${timeoutMs / 1000}s`))), timeoutMs);
    q.on('event', onEvent);
    q.on('close', onClose);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void already?.().then((state) => {
      if (state === 'met') done(() => resolve(undefined));
      else if (state) done(() => reject(new NovaError('INTERNAL', `${what}: ${state}`)));
    }, () => undefined);
  });
}

const jobError = (jobs: Set<string>) => (e: QmpEvent) => {
  const dev = String(e.data?.device ?? e.data?.id ?? '');
  if (!jobs.has(dev)) return undefined;
  if (e.event === 'BLOCK_JOB_ERROR') return `mirror ${dev} failed (${String(e.data?.operation ?? 'io')} error)`;
  if (e.event === 'BLOCK_JOB_COMPLETED' && e.data?.error) return `mirror ${dev} failed: ${String(e.data.error)}`;
  if (e.event === 'BLOCK_JOB_CANCELLED') return `mirror ${dev} was cancelled before it was ready`;
  return undefined;
};

async function mirrorsReady(q: QmpProtocol, jobs: string[], plan: SourcePlan): Promise<number> {
  const waiting = new Set(jobs);
  const timeout = plan.phaseTimeoutMs ?? 600_000;
  // A small mirror (a UEFI variable store, a thin top layer of a paused guest) can be READY before
  // its listener is on: its job then says so.
  const jobsNow = () => q.execute<{ device: string; ready?: boolean }[]>('query-block-jobs');
  const ready = Promise.all(
    jobs.map((job) => waitEvent(q, `disk mirror ${job}`, (e) => e.event === 'BLOCK_JOB_READY' && e.data?.device === job, jobError(new Set([job])), timeout, plan.signal, async () => {
      const j = (await jobsNow()).find((x) => x.device === job);
      return !j ? 'it ended before it was ready' : j.ready ? 'met' : undefined;
    })),
  );
  const progress = setInterval(() => {
    void q
      .execute<{ device: string; offset: number; len: number }[]>('query-block-jobs')
      .then((list) => {
        const mine = list.filter((j) => waiting.has(j.device));
        plan.onProgress?.({ phase: 'mirror', done: mine.reduce((n, j) => n + j.offset, 0), total: mine.reduce((n, j) => n + j.len, 0) });
      })
      .catch(() => undefined);
  }, 250);
  try {
    await ready;
  } finally {
    clearInterval(progress);
  }
  const list = await q.execute<{ device: string; len: number }[]>('query-block-jobs');
  return list.filter((j) => waiting.has(j.device)).reduce((n, j) => n + j.len, 0);
}

/**
 * Undo on the source after a failure or cancel: the VM keeps running there, mirrors and NBD nodes
 * go. A completed migration is resumed only with `resumeCompleted` (the caller knows the target
 * never ran the guest and holds no copy any more).
 */
export async function abortSource(q: QmpProtocol, diskCount: number, o: { resumeCompleted?: boolean } = {}): Promise<void> {
  await q.execute('migrate_cancel').catch(() => undefined);
  for (let i = 0; i < diskCount; i++) await q.execute('block-job-cancel', { device: mirrorNode(i), force: true }).catch(() => undefined);
  // A cancelled job lets go of its target node a moment later.
  for (let i = 0; i < diskCount; i++) {
    for (let t = 0; t < 50; t++) {
      const ok = await q.execute('blockdev-del', { 'node-name': mirrorNode(i) }).then(() => true, (e: Error) => /not found|No node|find node/i.test(e.message));
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  // A completed migration has a running copy elsewhere: this one must never run again.
  const m = await q.execute<MigrationInfo>('query-migrate').catch(() => undefined);
  if (m?.status === 'completed' && !o.resumeCompleted) return;
  if ((await q.execute<{ status: string }>('query-status')).status !== 'running') await q.execute('cont').catch(() => undefined);
}

/** Source: mirror every disk, then RAM with a pause before switch-over, then finish both. */
export async function runSource(q: QmpProtocol, plan: SourcePlan): Promise<MigrateOutcome> {
  const t0 = performance.now();
  const jobs = plan.disks.map((_, i) => mirrorNode(i));
  try {
    await q.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }, { capability: 'pause-before-switchover', state: true }] });
    await q.execute('migrate-set-parameters', {
      ...(plan.bandwidthBytesPerSec ? { 'max-bandwidth': plan.bandwidthBytesPerSec } : {}),
      ...(plan.downtimeLimitMs ? { 'downtime-limit': plan.downtimeLimitMs } : {}),
    });
    for (const [i, d] of plan.disks.entries()) {
      await q.execute('blockdev-add', { driver: 'nbd', 'node-name': mirrorNode(i), server: qmpAddr(plan.nbd), export: d.exportName });
      // The bandwidth cap holds for the disks too (the same link carries both).
      await q.execute('blockdev-mirror', { 'job-id': jobs[i], device: d.node, target: mirrorNode(i), sync: d.sync ?? plan.sync ?? 'full', 'auto-dismiss': true, ...(plan.bandwidthBytesPerSec ? { speed: plan.bandwidthBytesPerSec } : {}) });
    }
    const diskBytes = jobs.length ? await mirrorsReady(q, jobs, plan) : 0;
    const timeout = plan.phaseTimeoutMs ?? 600_000;
    const preSwitch = waitEvent(q, 'RAM migration', (e) => e.event === 'MIGRATION' && e.data?.status === 'pre-switchover', migrationFailed, timeout, plan.signal);
    await q.execute('migrate', { uri: plan.uri });
    const ramProgress = setInterval(() => void reportRam(q, plan), 250);
    try {
      await preSwitch;
    } finally {
      clearInterval(ramProgress);
    }
    plan.onProgress?.({ phase: 'switchover', done: 1, total: 1 });
    // Ready mirrors complete cleanly when cancelled: the target then has every written block.
    const finished = Promise.all(jobs.map((job) => waitEvent(q, `finishing mirror ${job}`, (e) => (e.event === 'BLOCK_JOB_COMPLETED' || e.event === 'BLOCK_JOB_CANCELLED') && e.data?.device === job, () => undefined, 60_000)));
    for (const job of jobs) await q.execute('block-job-cancel', { device: job });
    await finished;
    const completed = waitEvent(q, 'switch-over', (e) => e.event === 'MIGRATION' && e.data?.status === 'completed', migrationFailed, 60_000);
    await q.execute('migrate-continue', { state: 'pre-switchover' });
    await completed;
    const info = await q.execute<MigrationInfo>('query-migrate');
    for (const i of jobs.keys()) await q.execute('blockdev-del', { 'node-name': mirrorNode(i) }).catch(() => undefined);
    return { totalMs: Math.round(performance.now() - t0), ...(info.downtime !== undefined ? { downtimeMs: info.downtime } : {}), ...(info.ram ? { ramBytes: info.ram.transferred } : {}), diskBytes };
  } catch (e) {
    await abortSource(q, jobs.length).catch(() => undefined);
    throw e;
  }
}

const migrationFailed = (e: QmpEvent) => (e.event === 'MIGRATION' && (e.data?.status === 'failed' || e.data?.status === 'cancelled') ? `migration ${String(e.data.status)}` : undefined);

async function reportRam(q: QmpProtocol, plan: SourcePlan): Promise<void> {
  const info = await q.execute<MigrationInfo & { 'expected-downtime'?: number; ram?: { mbps?: number } }>('query-migrate').catch(() => undefined);
  if (!info?.ram) return;
  plan.onProgress?.({ phase: 'ram', done: info.ram.transferred, total: info.ram.total, ...(info.ram.mbps ? { rate: (info.ram.mbps * 1e6) / 8 } : {}), ...(info['expected-downtime'] !== undefined ? { expectedDowntimeMs: info['expected-downtime'] } : {}) });
}
