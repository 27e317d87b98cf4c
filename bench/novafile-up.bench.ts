// `nova up` of 20 capsules on 2 switches against the sum of the raw backend operations it performs
// (network.create ×2, capsule.create + capsule.start ×20, measured one by one in the same run),
// and a no-change `nova up`. The engine runs in-process with its networks inside a throwaway
// namespace (NOVA_NETNS); the image is a local busybox import.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import type { Engine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const CAPSULES = 20;

export async function run(): Promise<BenchResult[]> {
  const hex = randomBytes(3).toString('hex');
  const ns = `nvbench${hex}`;
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-up-'));
  const env = { ...process.env, NOVA_HOME: home, NOVA_NETNS: ns, NOVA_NFT_TABLE: `nvb${hex}` };
  let engine: Engine | undefined;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    engine = createEngine({ env, paths: resolvePaths(env) });
    const call = (m: string, input: unknown) => engine!.dispatcher.invoke(m, input);
    await call('image.import', { source: busyboxRootfs(home), name: 'nova-bench/busybox:1' });

    const nets = ['a', 'b'].map((s, i) => ({ name: `nb${s}${hex}`, spec: { profile: 'nat', subnet: `10.213.${230 + i}.1/24` } }));
    const caps = Array.from({ length: CAPSULES }, (_, i) => ({
      name: `nbc${hex}-${i}`,
      spec: { capsule: 'nova-bench/busybox:1', command: ['sleep', '3600'], network: nets[i % 2]!.name },
    }));

    // Baseline: the same operations, one after another, each timed.
    let raw = 0;
    const timed = async (m: string, input: unknown) => {
      const t = performance.now();
      await call(m, input);
      raw += performance.now() - t;
    };
    for (const n of nets) await timed('network.create', { name: n.name, spec: n.spec });
    for (const c of caps) {
      await timed('capsule.create', { name: c.name, spec: c.spec, baseDir: home });
      await timed('capsule.start', { name: c.name });
    }
    for (const c of caps) await call('capsule.rm', { name: c.name, force: true });
    for (const n of nets) await call('network.rm', { name: n.name });

    // The NovaFile declaring the same, applied by `nova up` (plan + lock + parallel apply).
    const toml = [
      'project = "bench"',
      ...nets.flatMap((n) => [`[network.${n.name}]`, `profile = "nat"`, `subnet = "${n.spec.subnet}"`]),
      ...caps.flatMap((c) => [`[container.${c.name}]`, `capsule = "${c.spec.capsule}"`, 'command = ["sleep", "3600"]', `network = "${c.spec.network}"`]),
    ].join('\n');
    await writeFile(join(home, 'NovaFile'), `${toml}\n`);
    let t = performance.now();
    const up = (await call('novafile.up', { cwd: home })) as { ok: boolean; applied: unknown[]; message: string };
    const upMs = performance.now() - t;
    if (!up.ok || up.applied.length !== CAPSULES + 2) throw new Error(`nova up did not apply everything: ${up.message}`);

    const noChange: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      const again = (await call('novafile.up', { cwd: home })) as { message: string };
      noChange.push(performance.now() - t);
      if (again.message !== 'no changes') throw new Error(`second up was not a no-op: ${again.message}`);
    }
    noChange.sort((a, b) => a - b);
    const median = noChange[2]!;
    // The reads any no-change check must do: the backends' own lists, in parallel, same run.
    const reads: number[] = [];
    for (let i = 0; i < 5; i++) {
      t = performance.now();
      await Promise.all(['network.list', 'capsule.list', 'vm.list'].map((m) => call(m, { project: 'bench' })));
      reads.push(performance.now() - t);
    }
    reads.sort((a, b) => a - b);
    const readMedian = reads[2]!;

    t = performance.now();
    await call('novafile.down', { cwd: home });
    const downMs = performance.now() - t;

    return [
      await saveResult({
        name: 'novafile-up-20-capsules', metric: `nova up: ${CAPSULES} capsules on 2 switches vs the sum of its raw operations`, unit: 'ms',
        value: upMs, baseline: raw, ratio: upMs / raw, goal: '<= 1.3x', met: upMs / raw <= 1.3,
        notes: `parallel 4 on ${(await import('node:os')).cpus().length} cores; nova down took ${Math.round(downMs)} ms`,
      }),
      await saveResult({
        name: 'novafile-up-no-change', metric: `no-change nova up (${CAPSULES + 2} items, in-process, median of 5) vs the backends' list calls`, unit: 'ms',
        value: median, baseline: readMedian, ratio: median / readMedian, goal: '< 300 ms', met: median < 300,
        notes: `baseline = network.list + capsule.list + vm.list in parallel (the backends' own state derivation); load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`,
      }),
    ];
  } finally {
    if (engine) {
      await engine.dispatcher.call('novafile.down', { cwd: home });
      await engine.close();
    }
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    execFileSync('ip', ['netns', 'del', ns]);
    await rm(home, { recursive: true, force: true }).catch(() => undefined);
  }
}
