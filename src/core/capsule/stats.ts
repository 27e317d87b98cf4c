import { readFile } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { CapsuleStats } from '../../shared/contract/capsule.js';
import type { EngineContext } from '../context.js';
import { getRecord } from './records.js';
import { deriveStatus } from './status.js';

// CPU, memory, pids and io of a capsule, read from its cgroups (v1 controllers or the v2 tree),
// found through /proc/<pid>/cgroup of the capsule's first process.

const read = (p: string) => readFile(p, 'utf8').then((t) => t.trim(), () => undefined);
const num = (s: string | undefined) => {
  if (s === undefined || s === 'max') return undefined;
  const n = Number(s.split('\n')[0]);
  return Number.isFinite(n) ? n : undefined;
};
const field = (text: string | undefined, key: string) => {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : undefined;
};
// v1 reports "no limit" as a huge page-aligned number.
const limitOrUndefined = (n: number | undefined) => (n === undefined || n >= 2 ** 62 ? undefined : n);

export async function cgroupPaths(pid: number, root = '/sys/fs/cgroup'): Promise<{ v2?: string; v1: Record<string, string> }> {
  return parseCgroupPaths((await read(`/proc/${pid}/cgroup`)) ?? '', root);
}

/** The cgroup folders named by a /proc/<pid>/cgroup text: v1 per controller, and the v2 one. */
export function parseCgroupPaths(text: string, root = '/sys/fs/cgroup'): { v2?: string; v1: Record<string, string> } {
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const [, ctrls, path] = line.split(':') as [string, string, string];
    if (path === undefined) continue;
    if (ctrls === '') v2 = `${root}${path}`;
    else for (const c of ctrls.split(',')) v1[c.replace(/^name=/, '')] = `${root}/${ctrls}${path}`;
  }
  return { ...(v2 ? { v2 } : {}), v1 };
}

function ioBytes(text: string | undefined, v2: boolean): { r: number; w: number } {
  let r = 0;
  let w = 0;
  for (const line of (text ?? '').split('\n')) {
    if (v2) {
      r += Number(/rbytes=(\d+)/.exec(line)?.[1] ?? 0);
      w += Number(/wbytes=(\d+)/.exec(line)?.[1] ?? 0);
    } else {
      const m = /^\S+ (Read|Write) (\d+)$/.exec(line);
      if (m?.[1] === 'Read') r += Number(m[2]);
      if (m?.[1] === 'Write') w += Number(m[2]);
    }
  }
  return { r, w };
}

export async function readCgroupStats(pid: number): Promise<Omit<CapsuleStats, 'name' | 'at' | 'cpuPercent'>> {
  const { v1, v2 } = await cgroupPaths(pid);
  if (v1.memory) {
    const mem = v1.memory;
    const io = ioBytes(await read(`${v1.blkio}/blkio.throttle.io_service_bytes`), false);
    const pidsLimit = num(await read(`${v1.pids}/pids.max`));
    const memLimit = limitOrUndefined(num(await read(`${mem}/memory.limit_in_bytes`)));
    const maxUsage = num(await read(`${mem}/memory.max_usage_in_bytes`));
    return {
      cpuUsageNs: num(await read(`${v1.cpuacct}/cpuacct.usage`)) ?? 0,
      memoryBytes: num(await read(`${mem}/memory.usage_in_bytes`)) ?? 0,
      ...(memLimit !== undefined ? { memoryLimitBytes: memLimit } : {}),
      ...(maxUsage !== undefined ? { memoryMaxBytes: maxUsage } : {}),
      oomKills: field(await read(`${mem}/memory.oom_control`), 'oom_kill') ?? 0,
      pids: num(await read(`${v1.pids}/pids.current`)) ?? 0,
      ...(pidsLimit !== undefined ? { pidsLimit } : {}),
      ioReadBytes: io.r,
      ioWriteBytes: io.w,
    };
  }
  if (!v2) throw new NovaError('HOST_UNSUPPORTED', 'no cgroup found for the capsule (is a cgroup filesystem mounted?)');
  const io = ioBytes(await read(`${v2}/io.stat`), true);
  const memLimit = num(await read(`${v2}/memory.max`));
  const peak = num(await read(`${v2}/memory.peak`));
  const pidsLimit = num(await read(`${v2}/pids.max`));
  return {
    cpuUsageNs: (field(await read(`${v2}/cpu.stat`), 'usage_usec') ?? 0) * 1000,
    memoryBytes: num(await read(`${v2}/memory.current`)) ?? 0,
    ...(memLimit !== undefined ? { memoryLimitBytes: memLimit } : {}),
    ...(peak !== undefined ? { memoryMaxBytes: peak } : {}),
    oomKills: field(await read(`${v2}/memory.events`), 'oom_kill') ?? 0,
    pids: num(await read(`${v2}/pids.current`)) ?? 0,
    ...(pidsLimit !== undefined ? { pidsLimit } : {}),
    ioReadBytes: io.r,
    ioWriteBytes: io.w,
  };
}

/** Samples per engine, for cpuPercent between two calls. */
const previous = new Map<string, { at: number; cpu: number }>();

export async function capsuleStats(engine: EngineContext, name: string): Promise<CapsuleStats> {
  const rec = await getRecord(engine.paths, name);
  const st = await deriveStatus(engine, rec);
  if (!st.pid || (st.state !== 'running' && st.state !== 'paused')) {
    throw new NovaError('CONFLICT', `capsule ${name} is ${st.state}; stats need it running`, { state: st.state });
  }
  const at = engine.clock.now();
  const s = await readCgroupStats(st.pid);
  const key = `${engine.paths.data}:${rec.id}`;
  const prev = previous.get(key);
  previous.set(key, { at, cpu: s.cpuUsageNs });
  const cpuPercent = prev && at > prev.at ? Math.max(0, ((s.cpuUsageNs - prev.cpu) / 1e6 / (at - prev.at)) * 100) : undefined;
  const stats: CapsuleStats = { name, at, ...s, ...(cpuPercent !== undefined ? { cpuPercent: Math.round(cpuPercent * 10) / 10 } : {}) };
  const values: Record<string, number> = {
    cpuUsageNs: s.cpuUsageNs,
    memoryBytes: s.memoryBytes,
    pids: s.pids,
    oomKills: s.oomKills,
    ioReadBytes: s.ioReadBytes,
    ioWriteBytes: s.ioWriteBytes,
    ...(stats.cpuPercent !== undefined ? { cpuPercent: stats.cpuPercent } : {}),
    ...(s.memoryLimitBytes !== undefined ? { memoryLimitBytes: s.memoryLimitBytes } : {}),
  };
  engine.bus.emit('metrics.sample', { kind: 'capsule', name, at, values });
  return stats;
}
