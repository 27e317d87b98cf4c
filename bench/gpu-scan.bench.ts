// GPU inventory speed on a large fixture host (64 GPUs, 512 PCI devices), cold against cold:
// - gpu-scan-cold: a new `nova gpu list --json` process (Node start, bundle load, pci.ids parse, the
//   full scan: devices, IOMMU groups, /dev/dri holders, names, diagnostics) vs a new
//   `lspci -nn -A linux-sysfs` process reading the same tree (its own start and pci.ids parse),
//   interleaved (ABBA). Like for like: each is a new process that parses pci.ids once.
// - gpu-scan-warm: the same scan inside a running engine (pci.ids already parsed), reported as an
//   absolute figure: no raw tool has a warm mode to compare it with.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLargeHost } from '../src/core/gpu/testing/hosts.js';
import { GpuService } from '../src/core/gpu/service.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const GPUS = 64;
const DEVICES = 512;
const RUNS = runsOr(15);

const hasLspci = () => spawnSync('lspci', ['--version'], { stdio: 'ignore' }).status === 0;

export async function run(): Promise<BenchResult[]> {
  if (!hasLspci()) {
    process.stderr.write('  lspci is not installed (apt-get install pciutils): no gpu-scan comparison\n');
    return [];
  }
  const base = await mkdtemp(join(tmpdir(), 'nova-bench-gpu-'));
  try {
    const root = await buildLargeHost(join(base, 'host'), GPUS, DEVICES);
    const env = { ...process.env, NOVA_HOME: join(base, 'home'), NOVA_SYSFS_ROOT: root };
    const svc = new GpuService({ root, paths: resolvePaths(env) });
    const first = await svc.list();
    if (first.gpus.length !== GPUS) throw new Error(`expected ${GPUS} GPUs, scanned ${first.gpus.length}`);
    const nova = () =>
      timed(() => {
        const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'nova.mjs'), 'gpu', 'list', '--json'], { env, maxBuffer: 1 << 26, encoding: 'utf8' });
        if (!out.includes(first.gpus[0]!.address)) throw new Error('nova gpu list --json did not list the fixture GPUs');
      });
    const lspci = () => timed(() => execFileSync('lspci', ['-nn', '-A', 'linux-sysfs', '-O', `sysfs.path=${join(root, 'bus', 'pci')}`], { maxBuffer: 1 << 24 }));
    const cold = await interleave(nova, lspci, RUNS);
    const a = spreadOf(cold.a);
    const b = spreadOf(cold.b);
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await timed(() => svc.list()));
    const w = spreadOf(warm);
    return [
      await saveResult({
        name: 'gpu-scan-cold', metric: `cold \`nova gpu list --json\` vs cold \`lspci -nn\` on ${GPUS} GPUs / ${DEVICES} PCI devices (median of ${RUNS}, interleaved)`, unit: 'ms',
        value: a.median, baseline: b.median, ratio: a.median / b.median, goal: 'report', ...spreadFields(a, b),
        notes: 'Nova also reads IOMMU groups, drivers, /dev/dri holders and runs its diagnostics; lspci only names devices',
      }),
      await saveResult({
        name: 'gpu-scan-warm', metric: `full GPU inventory + diagnostics in a running engine, ${GPUS} GPUs / ${DEVICES} PCI devices (median of ${RUNS})`, unit: 'ms',
        value: w.median, baseline: null, ratio: null, goal: 'report', ...spreadFields(w),
      }),
    ];
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await run(), null, 2));
}
