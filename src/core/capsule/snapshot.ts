import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { readJson } from '../sys/atomic.js';
import { writeQuick } from './quickfile.js';
import type { Engine } from '../engine.js';
import { freezeCapsule } from './freezer.js';
import { capsuleInfo, publishState } from './info.js';
import { capsuleCgroup, capsuleLayout } from './layout.js';
import { startCapsule, stopLocked, withCapsuleLock } from './lifecycle.js';
import { getRecord } from './records.js';
import { deriveStatus } from './status.js';

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

const files = (dir: string, tag: string) => ({ archive: join(dir, `${tag}.tar.zst`), meta: join(dir, `${tag}.json`) });

function defaultTag(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

export async function createSnapshot(engine: Engine, name: string, tag?: string): Promise<SnapshotInfo> {
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
    const thaw = await freezeCapsule(layout, capsuleCgroup(rec.id));
    try {
      await engine.runner.run(['tar', ...TAR_FLAGS, '-cpf', f.archive, '-C', layout.upper, '.'], { timeoutMs: 600_000 });
    } catch (e) {
      await rm(f.archive, { force: true });
      throw e;
    } finally {
      await thaw?.();
    }
    const info: SnapshotInfo = { capsule: name, tag: t, createdAt: engine.clock.now(), sizeBytes: (await stat(f.archive)).size, file: f.archive };
    await writeQuick(f.meta, `${JSON.stringify(info, null, 2)}\n`, 0o600);
    return info;
  });
}

export async function listSnapshots(engine: Engine, name: string): Promise<SnapshotInfo[]> {
  await getRecord(engine.paths, name);
  const dir = capsuleLayout(engine.paths, name).snapshots;
  const metas = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
  const items = await Promise.all(metas.map((m) => readJson<SnapshotInfo | undefined>(join(dir, m), undefined)));
  return items.filter((i): i is SnapshotInfo => Boolean(i)).sort((a, b) => a.createdAt - b.createdAt);
}

async function getSnapshot(engine: Engine, name: string, tag: string): Promise<SnapshotInfo> {
  const hit = (await listSnapshots(engine, name)).find((s) => s.tag === tag);
  if (!hit) throw new NovaError('NOT_FOUND', `capsule ${name} has no snapshot "${tag}" (see \`nova snapshot ls container ${name}\`)`, { tag });
  return hit;
}

/** Rolls the writable layer back in place; a running capsule is stopped first and started again. */
export async function restoreSnapshot(engine: Engine, name: string, tag: string, graceS = 10): Promise<CapsuleInfo> {
  const wasRunning = await withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const snap = await getSnapshot(engine, name, tag);
    const layout = capsuleLayout(engine.paths, name);
    const st = await deriveStatus(engine, rec);
    const running = st.state === 'running' || st.state === 'paused' || st.state === 'restarting';
    if (running) await stopLocked(engine, rec, graceS);
    // Extract next to the live layer, then swap: a failed extract leaves the old layer intact.
    const next = `${layout.upper}.restore`;
    await rm(next, { recursive: true, force: true });
    await mkdir(next, { recursive: true, mode: 0o755 });
    try {
      await engine.runner.run(['tar', ...TAR_FLAGS, '-xpf', snap.file, '-C', next], { timeoutMs: 600_000 });
    } catch (e) {
      await rm(next, { recursive: true, force: true });
      throw e;
    }
    await rm(layout.upper, { recursive: true, force: true });
    await engine.runner.run(['mv', '-T', next, layout.upper]);
    await rm(layout.work, { recursive: true, force: true });
    await mkdir(layout.work, { recursive: true, mode: 0o700 });
    return running;
  });
  if (wasRunning) return startCapsule(engine, name);
  const info = await capsuleInfo(engine, await getRecord(engine.paths, name));
  publishState(engine, info);
  return info;
}

export async function removeSnapshot(engine: Engine, name: string, tag: string): Promise<void> {
  await withCapsuleLock(engine, name, async () => {
    const snap = await getSnapshot(engine, name, tag);
    const f = files(capsuleLayout(engine.paths, name).snapshots, snap.tag);
    await rm(f.archive, { force: true });
    await rm(f.meta, { force: true });
  });
}
