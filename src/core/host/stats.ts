// This host's CPU and memory use right now, from /proc/stat and /proc/meminfo (no tools, no
// root). CPU % is the busy share of all CPUs between two readings of the kernel's counters; the
// sampler keeps the previous reading, so each call reports the interval since the last one (a
// first call waits a short window). Long-running engines publish it as metrics.sample (kind
// "host") every few seconds for the dashboard's graphs.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { HostStats } from '../../shared/contract/host.js';

export interface CpuCounters {
  /** Clock ticks spent busy (everything but idle and iowait), all CPUs together. */
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuCounters | undefined {
  const line = /^cpu\s+(.+)$/m.exec(text)?.[1];
  if (!line) return undefined;
  // user nice system idle iowait irq softirq steal (guest/guest_nice are already inside user/nice)
  const f = line.trim().split(/\s+/).slice(0, 8).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return undefined;
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

/** Bytes of the /proc/meminfo fields the dashboard shows. */
export function parseMeminfo(text: string): { total: number; available: number; swapTotal: number; swapFree: number } {
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return {
    total: Number.isFinite(total) ? total : os.totalmem(),
    available: Number.isFinite(available) ? available : os.freemem(),
    swapTotal: Number.isFinite(kb('SwapTotal')) ? kb('SwapTotal') : 0,
    swapFree: Number.isFinite(kb('SwapFree')) ? kb('SwapFree') : 0,
  };
}

/** Busy share of all CPUs between two readings, 0–100 (undefined when no tick passed). */
export function cpuPercentBetween(a: CpuCounters, b: CpuCounters): number | undefined {
  const dt = b.total - a.total;
  if (dt <= 0) return undefined;
  return Math.min(100, Math.max(0, ((b.busy - a.busy) / dt) * 100));
}

const FIRST_WINDOW_MS = 250;
const read = (f: string) => readFile(f, 'utf8').catch(() => '');

export class HostSampler {
  private last?: { at: number; cpu: CpuCounters };

  constructor(private readonly procRoot = '/proc') {}

  private async counters(): Promise<CpuCounters | undefined> {
    return parseProcStat(await read(`${this.procRoot}/stat`));
  }

  /** One reading; CPU % over the time since the previous one (or a short window on the first). */
  async sample(): Promise<HostStats> {
    if (!this.last) {
      const cpu = await this.counters();
      if (cpu) this.last = { at: Date.now(), cpu };
      await new Promise((r) => setTimeout(r, FIRST_WINDOW_MS));
    }
    const [cpu, meminfo] = await Promise.all([this.counters(), read(`${this.procRoot}/meminfo`)]);
    const at = Date.now();
    const prev = this.last;
    if (cpu) this.last = { at, cpu };
    const cpuPercent = prev && cpu ? cpuPercentBetween(prev.cpu, cpu) : undefined;
    const m = parseMeminfo(meminfo);
    const [load1 = 0, load5 = 0, load15 = 0] = os.loadavg();
    return {
      at,
      cpus: os.cpus().length,
      ...(cpuPercent !== undefined ? { cpuPercent: Math.round(cpuPercent * 10) / 10 } : {}),
      memoryTotalBytes: m.total,
      memoryAvailableBytes: m.available,
      memoryUsedBytes: Math.max(0, m.total - m.available),
      swapTotalBytes: m.swapTotal,
      swapUsedBytes: Math.max(0, m.swapTotal - m.swapFree),
      load: [load1, load5, load15],
    };
  }
}

/** The values a host metrics.sample carries (what the dashboard graphs). */
export function hostSampleValues(s: HostStats): Record<string, number> {
  return {
    ...(s.cpuPercent !== undefined ? { cpuPercent: s.cpuPercent } : {}),
    memoryUsedBytes: s.memoryUsedBytes,
    memoryTotalBytes: s.memoryTotalBytes,
    load1: s.load[0],
  };
}
