// GPU inventory speed: Nova's full scan (devices, IOMMU groups, /dev/dri holders, names,
// diagnostics) of a large fixture host against `lspci -nn` reading the same tree, in one run.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLargeHost } from '../src/core/gpu/testing/hosts.js';
import { readHexId, list, sysPaths } from '../src/core/gpu/sysfs.js';
import { GpuService } from '../src/core/gpu/service.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const GPUS = 64;
const DEVICES = 512;
const RUNS = 9;
const GOAL = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const hasLspci = () => {
  try {
    execFileSync('lspci', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** The raw read when lspci is absent: class/vendor/device of every device, nothing else. */
async function plainRead(root: string): Promise<number> {
  const p = sysPaths(root);
  const addrs = await list(p.devices);
  const rows = await Promise.all(addrs.map((a) => Promise.all(['class', 'vendor', 'device'].map((f) => readHexId(join(p.device(a), f))))));
  return rows.length;
}

export async function run(): Promise<BenchResult> {
  const base = await mkdtemp(join(tmpdir(), 'nova-bench-gpu-'));
  try {
    const root = await buildLargeHost(join(base, 'host'), GPUS, DEVICES);
    const svc = new GpuService({ root, paths: resolvePaths({ NOVA_HOME: join(base, 'home') }) });
    const lspci = hasLspci();
    const baselineFn = lspci
      ? () => execFileSync('lspci', ['-nn', '-A', 'linux-sysfs', '-O', `sysfs.path=${join(root, 'bus', 'pci')}`], { maxBuffer: 1 << 24 })
      : () => plainRead(root);
    const first = await svc.list();
    if (first.gpus.length !== GPUS) throw new Error(`expected ${GPUS} GPUs, scanned ${first.gpus.length}`);
    await baselineFn();
    const nova: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      nova.push(await time(() => svc.list()));
      raw.push(await time(baselineFn));
    }
    const value = median(nova);
    const baseline = median(raw);
    const ratio = Math.round((value / baseline) * 100) / 100;
    return await saveResult({
      name: 'gpu-scan',
      metric: `full GPU inventory + diagnostics of ${GPUS} GPUs / ${DEVICES} PCI devices (median of ${RUNS})`,
      unit: 'ms',
      value: Math.round(value * 10) / 10,
      baseline: Math.round(baseline * 10) / 10,
      ratio,
      goal: `<= ${GOAL}x ${lspci ? 'lspci -nn on the same tree' : 'a plain read of class/vendor/device'}`,
      met: ratio <= GOAL,
      notes: `baseline: ${lspci ? 'lspci -nn -A linux-sysfs -O sysfs.path=…' : 'plain read'}; Nova runs ${nova.map((x) => Math.round(x)).join('/')} ms, baseline runs ${raw.map((x) => Math.round(x)).join('/')} ms`,
    });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await run(), null, 2));
}
