// Resource use of a running VM, read from its QEMU process (/proc, no QMP round trip): CPU time
// and % of one core since the previous sample, resident memory, disk I/O bytes. The watcher
// publishes these as metrics.sample for the app's graphs.
import { readFile } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { VmContext } from './context.js';
import { livePid } from './state.js';
import { loadRecord } from './store.js';

export interface VmStats {
  name: string;
  at: number;
  cpuTimeMs: number;
  cpuPercent?: number;
  memoryBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux: one clock tick = 10 ms

export async function processStats(pid: number): Promise<Omit<VmStats, 'name' | 'at' | 'cpuPercent'> | undefined> {
  const [stat, status, io] = await Promise.all(
    [`/proc/${pid}/stat`, `/proc/${pid}/status`, `/proc/${pid}/io`].map((f) => readFile(f, 'utf8').catch(() => '')),
  );
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0); // utime + stime
  const rssKb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status ?? '')?.[1] ?? 0);
  const num = (k: string) => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(io ?? '')?.[1] ?? 0);
  return { cpuTimeMs: ticks * TICK_MS, memoryBytes: rssKb * 1024, ioReadBytes: num('read_bytes'), ioWriteBytes: num('write_bytes') };
}

/** Keeps the previous CPU sample per VM so each call can report a rate. */
export class StatsSampler {
  private last = new Map<string, { at: number; cpuTimeMs: number; pid: number }>();

  async sample(ctx: VmContext, name: string): Promise<VmStats> {
    const rec = await loadRecord(ctx.paths, name);
    const pid = await livePid(ctx.paths, rec);
    const s = pid ? await processStats(pid) : undefined;
    if (!pid || !s) throw new NovaError('CONFLICT', `VM ${name} is not running; stats exist while it runs`);
    const at = Date.now();
    const prev = this.last.get(name);
    this.last.set(name, { at, cpuTimeMs: s.cpuTimeMs, pid });
    const cpuPercent = prev && prev.pid === pid && at > prev.at ? ((s.cpuTimeMs - prev.cpuTimeMs) / (at - prev.at)) * 100 : undefined;
    return { name, at, ...s, ...(cpuPercent !== undefined ? { cpuPercent: Math.max(0, cpuPercent) } : {}) };
  }
}
