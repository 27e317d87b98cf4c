import { stat } from 'node:fs/promises';
import type { EngineContext } from '../context.js';
import { pidAlive, readPidFile } from '../sys/proc.js';
import { capsuleInfo, publishState } from './info.js';
import { capsuleFrozen } from './freezer.js';
import { capsuleCgroup, capsuleLayout } from './layout.js';
import { readLogs } from './logs.js';
import { listRecords } from './records.js';
import type { CapsuleRecord } from './records.js';
import { capsuleStats } from './stats.js';

// While an engine serves (app, `nova serve`): publish state changes, new log lines and metrics
// of running capsules, whoever caused them (this engine, the CLI, kill -9 from a shell). One-shot
// CLI commands never start this.
//
// A cheap pass every 500 ms reads only files and /proc (pidfiles, exit record, log size); the
// full derivation (a runtime `state` call) runs only for a capsule whose fingerprint changed, so
// a change made elsewhere shows within a second without a runtime process per capsule per pass.

const FAST_MS = 500;
const METRICS_MS = 5000;

/** What changes whenever a capsule's state can have changed. */
async function fingerprint(engine: EngineContext, rec: CapsuleRecord): Promise<string> {
  const l = capsuleLayout(engine.paths, rec.name);
  const mtime = (p: string) => stat(p).then((s) => `${s.mtimeMs}`, () => '-');
  const live = async (p: string) => {
    const pid = await readPidFile(p);
    return pid === undefined ? '-' : `${pid}:${pidAlive(pid) ? 1 : 0}`;
  };
  const parts = await Promise.all([mtime(l.record), mtime(l.exitFile), mtime(l.stopMarker), live(l.supervisorPid), live(l.containerPid)]);
  // Pause/resume by another process changes no file of ours: the freezer tells.
  return [...parts, String(capsuleFrozen(l, capsuleCgroup(rec.id)))].join('|');
}

export function monitorCapsules(engine: EngineContext, everyMs = FAST_MS): () => void {
  const prints = new Map<string, string>();
  const states = new Map<string, string>();
  const logSizes = new Map<string, number>();
  const cursors = new Map<string, number>();
  let busy = false;
  let primed = false;
  let lastMetrics = 0;

  const checkState = async (rec: CapsuleRecord) => {
    const print = await fingerprint(engine, rec);
    if (prints.get(rec.name) === print) return;
    prints.set(rec.name, print);
    const info = await capsuleInfo(engine, rec);
    const prev = states.get(rec.name);
    states.set(rec.name, info.state);
    // A capsule first seen after the first pass was created meanwhile, maybe by another process.
    if (prev === undefined ? primed : prev !== info.state) publishState(engine, info);
  };

  const checkLogs = async (rec: CapsuleRecord) => {
    const size = await stat(capsuleLayout(engine.paths, rec.name).logFile).then((s) => s.size, () => 0);
    if (logSizes.get(rec.name) === size) return;
    logSizes.set(rec.name, size);
    const logs = await readLogs(engine, { name: rec.name, ...(cursors.has(rec.name) ? { cursor: cursors.get(rec.name)! } : { tail: 1 }) });
    if (cursors.has(rec.name)) {
      for (const l of logs.lines) engine.bus.emit('log.line', { kind: 'capsule', name: rec.name, stream: l.stream, at: l.at, line: l.line });
    }
    cursors.set(rec.name, logs.cursor);
  };

  const forgetRemoved = (recs: CapsuleRecord[]) => {
    const names = new Set(recs.map((r) => r.name));
    for (const name of [...states.keys()]) {
      if (names.has(name)) continue;
      for (const m of [prints, states, logSizes, cursors]) m.delete(name);
      engine.bus.emit('resource.changed', { kind: 'capsule', name, state: 'removed' });
    }
  };

  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const recs = await listRecords(engine.paths);
      // Samples only while someone can see them (EventBus.wanted): idle reads no cgroup stats.
      const metrics = Date.now() - lastMetrics >= METRICS_MS && engine.bus.wanted('metrics.sample');
      if (metrics) lastMetrics = Date.now();
      for (const rec of recs) {
        try {
          await checkState(rec);
          await checkLogs(rec);
          if (metrics && states.get(rec.name) === 'running') await capsuleStats(engine, rec.name).catch(() => undefined);
        } catch {
          prints.delete(rec.name); // removed mid-pass, or a half-written record: look again next pass
        }
      }
      forgetRemoved(recs);
      primed = true;
    } catch {
      /* the capsules folder is being changed; the next pass sees the new truth */
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
