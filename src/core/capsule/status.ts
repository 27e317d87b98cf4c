import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonSmall } from '../sys/small-files.js';
import type { EngineContext } from '../context.js';
import { capsuleLayout } from './layout.js';
import type { CapsuleRecord } from './records.js';
import { resolveRuntime, runtimeState, runtimeStates } from './runtime.js';
import type { Runtime, RuntimeState } from './runtime.js';
import { supervisorPid } from './supervisor.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';

/** What deriving a state reads: files under the paths, PATH for the runtime, the runtime's `list`. */
type HostAccess = Pick<EngineContext, 'paths' | 'env' | 'runner'>;

export interface ExitRecord {
  code: number;
  signal?: string;
  at: number;
  oomKilled?: boolean;
  restarts: number;
  restarting?: boolean;
}

export interface CapsuleStatus {
  state: CapsuleInfo['state'];
  reason?: string;
  pid?: number;
  supervisor?: number;
  exit?: ExitRecord;
  /** The runtime still has state for the container (needs `delete` before a new run). */
  runtimeKnown?: boolean;
  /** When the current run started (running/paused only). */
  startedAt?: number;
}

export async function runtimeOf(engine: HostAccess, rec: CapsuleRecord): Promise<Runtime> {
  return resolveRuntime(engine, rec.runtime);
}

/** State derived from the host every time: the supervisor's pid (checked in /proc), the runtime's state, the exit file. */
export async function deriveStatus(engine: HostAccess, rec: CapsuleRecord, listed?: Map<string, RuntimeState>): Promise<CapsuleStatus> {
  const st = await deriveState(engine, rec, listed);
  if (st.state !== 'running' && st.state !== 'paused') return st;
  // The runtime writes container.pid as it starts the capsule's first process.
  const s = statSync(capsuleLayout(engine.paths, rec.name).containerPid, { throwIfNoEntry: false });
  const started = s ? Math.round(s.mtimeMs) : undefined;
  return started ? { ...st, startedAt: started } : st;
}

async function deriveState(engine: HostAccess, rec: CapsuleRecord, listed?: Map<string, RuntimeState>): Promise<CapsuleStatus> {
  const layout = capsuleLayout(engine.paths, rec.name);
  const sup = await supervisorPid(layout);
  const exit = readJsonSmall<ExitRecord | undefined>(layout.exitFile, undefined);
  let rt: Runtime;
  try {
    rt = await runtimeOf(engine, rec);
  } catch (e) {
    return { state: 'unknown', reason: (e as Error).message, ...(exit ? { exit } : {}) };
  }
  const rs = listed ? listed.get(rec.id) : await runtimeState(engine, rt, rec.id);
  const live = rs && (rs.status === 'running' || rs.status === 'paused' || rs.status === 'created');
  const known = rs ? { runtimeKnown: true } : {};
  if (sup) {
    if (live && rs.status === 'paused') return { state: 'paused', pid: rs.pid, supervisor: sup, ...(exit ? { exit } : {}) };
    if (live && rs.status === 'running') return { state: 'running', pid: rs.pid, supervisor: sup, ...(exit ? { exit } : {}) };
    if (exit?.restarting) return { state: 'restarting', reason: `exited ${exit.code}; restart policy ${rec.spec.restart}`, supervisor: sup, exit };
    return { state: 'running', reason: 'starting', supervisor: sup };
  }
  if (live) {
    const state = rs.status === 'paused' ? 'paused' : 'running';
    return { state, pid: rs.pid, reason: 'its supervisor is gone: logs and the exit code are no longer recorded (restart it)' };
  }
  // Ended by a signal (or OOM) nobody asked Nova for: kill -9 from outside, a segfault.
  const unasked = !existsSync(layout.stopMarker);
  if (exit) {
    if (exit.oomKilled) return { state: unasked ? 'crashed' : 'exited', exit, ...known, reason: 'OOM-killed (memory limit)' };
    if (exit.signal && unasked) return { state: 'crashed', exit, ...known, reason: `killed by ${exit.signal} (not stopped by Nova)` };
    return { state: 'exited', exit, ...known };
  }
  // The supervisor removes its pidfile when it ends: a leftover one means it was killed too.
  if (existsSync(layout.supervisorPid) && unasked) return { state: 'crashed', reason: 'the capsule and its supervisor were killed (no exit code recorded)', ...known };
  return { state: 'created', ...known };
}

/**
 * Status of many capsules with one runtime `list` per runtime instead of one `state` each, and
 * none at all when no capsule of that runtime has a state folder (created or long-ended ones:
 * the runtime knows nothing of them, as runtimeState already assumes).
 */
export async function deriveStatuses(engine: HostAccess, recs: CapsuleRecord[]): Promise<CapsuleStatus[]> {
  const lists = new Map<string, Promise<Map<string, RuntimeState> | undefined>>();
  const none = new Map<string, RuntimeState>();
  return Promise.all(
    recs.map(async (rec) => {
      const rt = await runtimeOf(engine, rec).catch(() => undefined);
      if (!rt) return deriveStatus(engine, rec);
      if (!existsSync(join(rt.root, rec.id))) return deriveStatus(engine, rec, none);
      const key = `${rt.path}|${rt.root}`;
      if (!lists.has(key)) lists.set(key, runtimeStates(engine, rt).catch(() => undefined));
      return deriveStatus(engine, rec, await lists.get(key));
    }),
  );
}
