import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { readJson } from '../sys/atomic.js';
import type { EngineContext } from '../context.js';
import { freezeCapsule } from './freezer.js';
import { capsuleInfo, publishState } from './info.js';
import { capsuleCgroup, capsuleLayout } from './layout.js';
import { startCapsule, stopLocked, withCapsuleLock } from './lifecycle.js';
import { getRecord } from './records.js';
import { deriveStatus } from './status.js';
import { asNamespaceRoot, removeTree } from './namespace-root.js';
import { isRootless } from './rootless.js';

// Snapshot = the capsule's writable overlay layer as a tar with the overlay xattrs
// (trusted.overlay.opaque; whiteouts are 0:0 char devices) and numeric owners, zstd-compressed.
// Without the xattrs opaque dirs are lost and deleted files come back on restore.

export interface SnapshotInfo {
  capsule: string;
  tag: string;
  createdAt: number;
  sizeBytes: number;
  file: string;
}

const TAR_FLAGS = ['--zstd', '--xattrs', '--xattrs-include=trusted.*', '--numeric-owner'];
// An ordinary user's tar runs as root of their user namespace (it reads and restores files of any
// of the capsule's ids); overlayfs mounted there keeps its marks in user.overlay.* instead.
const tarFlags = () => (isRootless() ? [...TAR_FLAGS, '--xattrs-include=user.*'] : TAR_FLAGS);

const files = (dir: string, tag: string) => ({ archive: join(dir, `${tag}.tar.zst`), meta: join(dir, `${tag}.json`) });

function defaultTag(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function createSnapshot(engine: EngineContext, name: string, tag?: string): Promise<SnapshotInfo> {
  return withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const layout = capsuleLayout(engine.paths, name);
    const t = tag ?? defaultTag(engine.clock.now());
    const f = files(layout.snapshots, t);
    const [taken] = await Promise.all([
      stat(f.meta).catch(() => undefined),
      mkdir(layout.snapshots, { recursive: true, mode: 0o700 }),
      mkdir(layout.upper, { recursive: true, mode: 0o755 }),
    ]);
    if (taken) throw new NovaError('CONFLICT', `capsule ${name} already has a snapshot "${t}"; pick another --tag or remove it`, { tag: t });
    // Freeze writers so the archive is consistent; thaw even when tar fails. A stopped capsule
    // has nothing to freeze, and one the user paused stays paused.
    const createdAt = engine.clock.now();
    const partial = `${f.meta}.partial`;
    const thaw = await freezeCapsule(layout, capsuleCgroup(rec.id));
    // The description is written while tar runs and renamed into place once the archive is
    // whole: a snapshot cut short by a crash never lists.
    const [tar, described] = await Promise.allSettled([
      asNamespaceRoot(engine, ['tar', ...tarFlags(), '-cpf', f.archive, '-C', layout.upper, '.']).then((argv) => engine.runner.run(argv, { timeoutMs: 600_000, discardStdout: true })),
      writeFile(partial, `${JSON.stringify({ capsule: name, tag: t, createdAt, file: f.archive })}\n`, { mode: 0o600 }),
    ]).finally(() => thaw?.());
    if (tar.status === 'rejected' || described.status === 'rejected') {
      // Clean up what is ours; a cleanup problem must not hide why the snapshot failed.
      await Promise.all([f.archive, partial].map((p) => rm(p, { force: true }).catch(() => undefined)));
      throw tar.status === 'rejected' ? tar.reason : (described as PromiseRejectedResult).reason;
    }
    const [{ size }] = await Promise.all([stat(f.archive), rename(partial, f.meta)]);
    return { capsule: name, tag: t, createdAt, sizeBytes: size, file: f.archive };
  });
}

export async function listSnapshots(engine: EngineContext, name: string): Promise<SnapshotInfo[]> {
  await getRecord(engine.paths, name);
  const dir = capsuleLayout(engine.paths, name).snapshots;
  const metas = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const items = await Promise.all(
    metas.map(async (m) => {
      const meta = await readJson<Omit<SnapshotInfo, 'sizeBytes'> | undefined>(join(dir, m), undefined);
      // A missing archive still lists (size 0), so `snapshot rm` can clear it.
      return meta && { ...meta, sizeBytes: await stat(meta.file).then((s) => s.size, () => 0) };
    }),
  );
  return items.filter((i): i is SnapshotInfo => Boolean(i)).sort((a, b) => a.createdAt - b.createdAt);
}

async function getSnapshot(engine: EngineContext, name: string, tag: string): Promise<SnapshotInfo> {
  const hit = (await listSnapshots(engine, name)).find((s) => s.tag === tag);
  if (!hit) throw new NovaError('NOT_FOUND', `capsule ${name} has no snapshot "${tag}" (see \`nova snapshot ls container ${name}\`)`, { tag });
  return hit;
}

/** Rolls the writable layer back in place; a running capsule is stopped first and started again. */
export async function restoreSnapshot(engine: EngineContext, name: string, tag: string, graceS = 10): Promise<CapsuleInfo> {
  const wasRunning = await withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const snap = await getSnapshot(engine, name, tag);
    const layout = capsuleLayout(engine.paths, name);
    const st = await deriveStatus(engine, rec);
    const running = st.state === 'running' || st.state === 'paused' || st.state === 'restarting';
    if (running) await stopLocked(engine, rec, graceS);
    // Extract next to the live layer, then swap: a failed extract leaves the old layer intact.
    const next = `${layout.upper}.restore`;
    await removeTree(engine, next);
    await mkdir(next, { recursive: true, mode: 0o755 });
    try {
      await engine.runner.run(await asNamespaceRoot(engine, ['tar', ...tarFlags(), '-xpf', snap.file, '-C', next]), { timeoutMs: 600_000 });
    } catch (e) {
      await removeTree(engine, next);
      throw e;
    }
    await removeTree(engine, layout.upper);
    await engine.runner.run(['mv', '-T', next, layout.upper]);
    await removeTree(engine, layout.work);
    await mkdir(layout.work, { recursive: true, mode: 0o700 });
    return running;
  });
  if (wasRunning) return startCapsule(engine, name);
  const info = await capsuleInfo(engine, await getRecord(engine.paths, name));
  publishState(engine, info);
  return info;
}

export async function removeSnapshot(engine: EngineContext, name: string, tag: string): Promise<void> {
  await withCapsuleLock(engine, name, async () => {
    const snap = await getSnapshot(engine, name, tag);
    const f = files(capsuleLayout(engine.paths, name).snapshots, snap.tag);
    await rm(f.archive, { force: true });
    await rm(f.meta, { force: true });
  });
}
