import { stat } from 'node:fs/promises';
import type { EngineContext } from '../context.js';
import { DirWatch, subfolders } from '../sys/dir-watch.js';
import { EventPass } from '../sys/event-pass.js';
import { dirs } from '../sys/paths.js';
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
// Event-driven, so an idle engine does no work (#24): inotify (DirWatch) on the capsules folder,
// each capsule's folder (record, exit record written by the supervisor when the process ends,
// stop marker, pidfiles, the pause/resume stamp) and its logs folder. A state event runs a cheap
// pass over files and /proc (pidfiles, exit record, freezer); the full derivation (a runtime
// `state` call) runs only for a capsule whose fingerprint changed. A log event reads only that
// capsule's new lines. A slow safety pass (SAFETY_MS) covers what writes no file: a supervisor
// killed on its own, a freezer changed by a foreign tool.

const SAFETY_MS = 10_000;
const DELAY_MS = 20;
const RETRY_MS = 250;
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

export interface CapsuleMonitor {
  stop(): void;
  /** Passes run so far (tests: an idle engine runs none between events). */
  readonly passes: number;
}

export function monitorCapsules(engine: EngineContext, safetyMs = SAFETY_MS): CapsuleMonitor {
  const prints = new Map<string, string>();
  const states = new Map<string, string>();
  const logSizes = new Map<string, number>();
  const cursors = new Map<string, number>();
  let primed = false;
  let lastMetrics = 0;
  const root = dirs.capsules(engine.paths);
  // What the events said: a capsule's state may have changed (any of them), or only its logs.
  let stateDue = true;
  const logsDue = new Set<string>();
  const watch = new DirWatch(
    () => false,
    (dir, name) => {
      const sub = dir.startsWith(`${root}/`) ? dir.slice(root.length + 1) : undefined;
      if (sub?.endsWith('/logs')) logsDue.add(sub.slice(0, -'/logs'.length));
      else if (sub && name === 'logs') logsDue.add(sub); // the logs folder appeared: watch it
      else stateDue = true;
      pass.poke();
    },
  );

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

  const tick = async (safety: boolean, metrics: boolean) => {
    const all = safety || stateDue;
    stateDue = false;
    const logs = new Set(logsDue);
    logsDue.clear();
    if (!all && !metrics && logs.size === 0) return;
    // Only the logs changed: no record or state is read.
    try {
      const recs = await listRecords(engine.paths);
      for (const rec of recs) {
        try {
          if (all) await checkState(rec);
          if (all || logs.has(rec.name)) await checkLogs(rec);
          if (metrics && states.get(rec.name) === 'running') await capsuleStats(engine, rec.name).catch(() => undefined);
        } catch {
          prints.delete(rec.name); // removed mid-pass, or a half-written record: look again soon
          stateDue = true;
          pass.poke(RETRY_MS);
        }
      }
      if (all) {
        forgetRemoved(recs);
        primed = true;
      }
      // Where the next change of any capsule will show — every folder, also one whose record is
      // not written yet; a folder watched only now may have changed before its watch began: one
      // more pass.
      const folders = [root, ...subfolders(root).flatMap((n) => [`${root}/${n}`, `${root}/${n}/logs`])];
      if (watch.sync(folders)) {
        stateDue = true;
        pass.poke();
      }
    } catch {
      stateDue = true; // the capsules folder is being changed; the next pass sees the new truth
      pass.poke(RETRY_MS);
    }
  };
  const pass = new EventPass(
    (safety) => {
      // Samples only while someone can see them (EventBus.wanted): idle reads no cgroup stats.
      const metrics = Date.now() - lastMetrics >= METRICS_MS && engine.bus.wanted('metrics.sample');
      if (metrics) lastMetrics = Date.now();
      return tick(safety, metrics);
    },
    { delayMs: DELAY_MS, safetyMs },
  );
  // Metrics on their own timer, running only while someone sees them.
  let metricsTimer: NodeJS.Timeout | undefined;
  const sampleWhileWanted = () => {
    const wanted = engine.bus.wanted('metrics.sample');
    if (wanted && !metricsTimer) {
      metricsTimer = setInterval(() => pass.poke(0), METRICS_MS);
      metricsTimer.unref();
    } else if (!wanted && metricsTimer) {
      clearInterval(metricsTimer);
      metricsTimer = undefined;
    }
  };
  const offAudience = engine.bus.onAudience(sampleWhileWanted);
  sampleWhileWanted();
  pass.start();
  return {
    stop: () => {
      pass.stop();
      watch.close();
      offAudience();
      clearInterval(metricsTimer);
    },
    get passes() {
      return pass.passes;
    },
  };
}
