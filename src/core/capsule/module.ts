import type { EngineContext, EngineModule } from '../context.js';
import { capsuleInfo, publishState } from './info.js';
import { ImageStore } from './images/store.js';
import type { StoredImage } from './images/store.js';
import { dropExecFiles, execArgv, execInCapsule } from './exec.js';
import type { PendingExecFiles } from './exec.js';
import { createCapsule, removeCapsule, signalCapsule, startCapsule, stopCapsule } from './lifecycle.js';
import { readLogs } from './logs.js';
import { getRecord, listRecords } from './records.js';
import { capsuleStats } from './stats.js';
import { createSnapshot, listSnapshots, removeSnapshot, restoreSnapshot } from './snapshot.js';
import { NovaError } from '../../shared/errors.js';
import { existsSync } from 'node:fs';
import { capsuleLayout } from './layout.js';
import { monitorCapsules } from './monitor.js';
import type { CapsuleMonitor } from './monitor.js';
import { deriveStatuses } from './status.js';
import { capsuleRows } from './rows.js';
import { updateCapsule } from './update.js';

async function imageRow(engine: EngineContext, store: ImageStore, img: StoredImage) {
  const usedBy = (await listRecords(engine.paths)).filter((r) => r.image.digest === img.digest).map((r) => r.name);
  const { tag: _tag, ...rest } = img;
  return { ...rest, usedBy };
}

function announceImage<T extends { ref: string }>(engine: EngineContext, action: 'pull' | 'import', row: T): T {
  engine.bus.emit('image.changed', { ref: row.ref, action });
  return row;
}

export const capsuleModule: EngineModule = {
  name: 'capsule',
  install(engine) {
    const d = engine.dispatcher;
    const store = new ImageStore(engine);

    d.handle('capsule.create', async (input) => {
      const rec = await createCapsule(engine, store, input);
      if (input.start) return startCapsule(engine, rec.name);
      const info = await capsuleInfo(engine, rec);
      publishState(engine, info);
      return info;
    });
    d.handle('capsule.inspect', async (input) => capsuleInfo(engine, await getRecord(engine.paths, input.name), input.secrets));
    d.handle('capsule.list', async (input) => {
      const recs = (await listRecords(engine.paths)).filter((r) => !input.project || r.project === input.project);
      const statuses = await deriveStatuses(engine, recs);
      return { items: await Promise.all(recs.map((r, i) => capsuleInfo(engine, r, false, statuses[i]))) };
    });
    d.handle('capsule.start', (input) => startCapsule(engine, input.name));
    d.handle('capsule.update', (input) => updateCapsule(engine, input.name, input.spec, input.project));
    d.handle('capsule.stop', (input) => stopCapsule(engine, input.name, input.timeout));
    d.handle('capsule.restart', async (input) => {
      await stopCapsule(engine, input.name, input.timeout);
      return startCapsule(engine, input.name);
    });
    d.handle('capsule.kill', (input) => signalCapsule(engine, input.name, 'kill', input.signal));
    d.handle('capsule.pause', (input) => signalCapsule(engine, input.name, 'pause'));
    d.handle('capsule.resume', (input) => signalCapsule(engine, input.name, 'resume'));
    d.handle('capsule.rm', async (input) => {
      await removeCapsule(engine, input.name, input.force);
      return { name: input.name, removed: true };
    });
    d.handle('capsule.logs', (input) => readLogs(engine, input));
    d.handle('capsule.exec', (input) => execInCapsule(engine, input));
    const execFiles: PendingExecFiles = new Set();
    d.handle('capsule.execArgv', (input) => execArgv(engine, input, execFiles));
    d.handle('capsule.stats', (input) => capsuleStats(engine, input.name));
    d.handle('capsule.snapshot.create', (input) => createSnapshot(engine, input.name, input.tag));
    d.handle('capsule.snapshot.list', async (input) => ({ items: await listSnapshots(engine, input.name) }));
    d.handle('capsule.snapshot.restore', (input) => restoreSnapshot(engine, input.name, input.tag, input.timeout));
    d.handle('capsule.snapshot.rm', async (input) => {
      await removeSnapshot(engine, input.name, input.tag);
      return { capsule: input.name, tag: input.tag, removed: true };
    });

    d.handle('image.pull', async (input) => announceImage(engine, 'pull', await imageRow(engine, store, await store.pull(input.ref, { ...(input.insecure !== undefined ? { insecure: input.insecure } : {}) }))));
    d.handle('image.import', async (input) => announceImage(engine, 'import', await imageRow(engine, store, await store.import(input.source, input.name, input.baseDir ?? process.cwd(), input.cmd))));
    d.handle('image.list', async () => ({ items: await Promise.all((await store.list()).map((i) => imageRow(engine, store, i))) }));
    d.handle('image.inspect', async (input) => imageRow(engine, store, await store.get(input.ref)));
    d.handle('image.rm', async (input) => {
      const img = await store.get(input.ref);
      const row = await imageRow(engine, store, img);
      if (row.usedBy.length && !input.force) {
        throw new NovaError('CONFLICT', `image ${img.ref} is used by capsule ${row.usedBy.join(', ')}; remove them first or use --force`, { usedBy: row.usedBy });
      }
      await store.remove(img.ref);
      engine.bus.emit('image.changed', { ref: img.ref, action: 'rm' });
      return { ref: img.ref, removed: true };
    });

    engine.resources.provide('capsule', () => capsuleRows(engine));
    let monitor: CapsuleMonitor | undefined;
    return {
      start: async () => {
        await restartByPolicy(engine);
        monitor = monitorCapsules(engine);
      },
      close: async () => {
        monitor?.stop();
        await dropExecFiles(execFiles);
      },
    };
  },
};


/** Restart policy across engine restarts and host boots. */
async function restartByPolicy(engine: EngineContext): Promise<void> {
  for (const rec of await listRecords(engine.paths)) {
    if (rec.spec.restart === 'no') continue;
    const layout = capsuleLayout(engine.paths, rec.name);
    const info = await capsuleInfo(engine, rec).catch(() => undefined);
    // A stop by the user is remembered by the stop marker; only unexpected ends restart.
    if (!info || existsSync(layout.stopMarker) || !rec.startedAt) continue;
    const failed = info.state === 'crashed' || (info.state === 'exited' ? (info.exit?.code ?? 1) !== 0 : info.state === 'created');
    if (info.state === 'created' || ((info.state === 'exited' || info.state === 'crashed') && (rec.spec.restart === 'always' || failed))) {
      await startCapsule(engine, rec.name).catch((e: Error) =>
        engine.bus.emit('notification', { level: 'error', title: `capsule ${rec.name} did not restart`, body: e.message, subject: rec.name }),
      );
    }
  }
}
