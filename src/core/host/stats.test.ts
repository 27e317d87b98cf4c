import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../engine.js';
import { cpuPercentBetween, HostSampler, parseMeminfo, parseProcStat } from './stats.js';

const STAT = (user: number, idle: number) => `cpu  ${user} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n`;
const MEMINFO = 'MemTotal:        8000000 kB\nMemFree:          100000 kB\nMemAvailable:    6000000 kB\nSwapTotal:       1000000 kB\nSwapFree:         750000 kB\n';

describe('host stats', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads busy and total ticks from the cpu line, memory and swap from meminfo', () => {
    expect(parseProcStat(STAT(300, 700))).toEqual({ busy: 300, total: 1000 });
    expect(parseProcStat('nothing here')).toBeUndefined();
    expect(parseMeminfo(MEMINFO)).toEqual({ total: 8000000 * 1024, available: 6000000 * 1024, swapTotal: 1000000 * 1024, swapFree: 750000 * 1024 });
    expect(cpuPercentBetween({ busy: 300, total: 1000 }, { busy: 450, total: 1200 })).toBe(75);
    expect(cpuPercentBetween({ busy: 1, total: 10 }, { busy: 1, total: 10 })).toBeUndefined();
  });

  it('reports CPU % between two readings of the kernel counters', async () => {
    const root = mkdtempSync(join(tmpdir(), 'nova-hoststats-'));
    dirs.push(root);
    writeFileSync(join(root, 'stat'), STAT(100, 900));
    writeFileSync(join(root, 'meminfo'), MEMINFO);
    const s = new HostSampler(root);
    const first = await s.sample(); // no tick passed within the first window: no CPU figure
    expect(first.cpuPercent).toBeUndefined();
    expect(first.memoryUsedBytes).toBe(2000000 * 1024);
    expect(first.swapUsedBytes).toBe(250000 * 1024);
    writeFileSync(join(root, 'stat'), STAT(150, 950)); // 50 busy of 100 ticks
    expect((await s.sample()).cpuPercent).toBe(50);
  });

  it('host.stats answers from this host\'s /proc through the engine', async () => {
    const home = mkdtempSync(join(tmpdir(), 'nova-hoststats-home-'));
    dirs.push(home);
    const engine = createEngine({ env: { ...process.env, NOVA_HOME: home } });
    try {
      const v = await engine.dispatcher.invoke('host.stats', {});
      expect(v.cpus).toBeGreaterThan(0);
      expect(v.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(v.cpuPercent).toBeLessThanOrEqual(100);
      expect(v.memoryUsedBytes).toBeGreaterThan(0);
      expect(v.memoryUsedBytes).toBeLessThan(v.memoryTotalBytes);
    } finally {
      await engine.close();
    }
  });
});
