import type { Engine } from '../engine.js';
import { capsuleInfo, publishState } from './info.js';
import { readLogs } from './logs.js';
import { listRecords } from './records.js';
import { capsuleStats } from './stats.js';

// While an engine serves (app, `nova serve`): publish state changes, new log lines and metrics
// of running capsules. One-shot CLI commands never start this.

export function monitorCapsules(engine: Engine, everyMs = 5000): () => void {
  const states = new Map<string, string>();
  const cursors = new Map<string, number>();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const rec of await listRecords(engine.paths)) {
        const info = await capsuleInfo(engine, rec);
        if (states.get(rec.name) !== undefined && states.get(rec.name) !== info.state) publishState(engine, info);
        states.set(rec.name, info.state);
        const logs = await readLogs(engine, { name: rec.name, ...(cursors.has(rec.name) ? { cursor: cursors.get(rec.name)! } : { tail: 1 }) });
        if (cursors.has(rec.name)) {
          for (const l of logs.lines) engine.bus.emit('log.line', { kind: 'capsule', name: rec.name, stream: l.stream, at: l.at, line: l.line });
        }
        cursors.set(rec.name, logs.cursor);
        if (info.state === 'running') await capsuleStats(engine, rec.name).catch(() => undefined);
      }
    } catch {
      /* a capsule removed mid-tick; the next tick sees the new truth */
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
