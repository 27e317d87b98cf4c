// What `nova up` adds over calling the engine by hand, and what a no-change `up` costs. This is
// an orchestration bench, not a raw-tool comparison (the raw tools' side of each step is in
// net-create and capsule-run):
// - novafile-up-orchestration: `nova up` of 20 capsules on 2 switches (plan + lock + parallel
//   apply) vs the same engine operations called one after another (network.create ×2,
//   capsule.create + capsule.start ×20), interleaved (ABBA), everything torn down between runs;
// - novafile-up-no-change: a no-change `nova up` vs the backends' own list calls it must make.
// The engine runs in-process with its networks inside a throwaway namespace (NOVA_NETNS); the
// image is a local busybox import.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import type { Engine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const CAPSULES = 20;
const RUNS = runsOr(3);
const NO_CHANGE_RUNS = runsOr(15);

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

    // The same operations by hand, one after another, each timed (teardown outside the timing).
    const byHand = async () => {
      let ms = 0;
      for (const n of nets) ms += await timed(() => call('network.create', { name: n.name, spec: n.spec }));
      for (const c of caps) {
        ms += await timed(() => call('capsule.create', { name: c.name, spec: c.spec, baseDir: home }));
        ms += await timed(() => call('capsule.start', { name: c.name }));
      }
      for (const c of caps) await call('capsule.rm', { name: c.name, force: true });
      for (const n of nets) await call('network.rm', { name: n.name });
      return ms;
    };

    // The NovaFile declaring the same, applied by `nova up` (plan + lock + parallel apply).
    const toml = [
      'project = "bench"',
      ...nets.flatMap((n) => [`[network.${n.name}]`, `profile = "nat"`, `subnet = "${n.spec.subnet}"`]),
      ...caps.flatMap((c) => [`[container.${c.name}]`, `capsule = "${c.spec.capsule}"`, 'command = ["sleep", "3600"]', `network = "${c.spec.network}"`]),
    ].join('\n');
    await writeFile(join(home, 'NovaFile'), `${toml}\n`);
    let downMs = 0;
    const up = async () => {
      let result: { ok: boolean; applied: unknown[]; message: string } | undefined;
      const ms = await timed(async () => (result = (await call('novafile.up', { cwd: home })) as typeof result));
      if (!result?.ok || result.applied.length !== CAPSULES + 2) throw new Error(`nova up did not apply everything: ${result?.message}`);
      downMs = await timed(() => call('novafile.down', { cwd: home }));
      return ms;
    };
    const runs = await interleave(up, byHand, RUNS, 0);
    const upSpread = spreadOf(runs.a);
    const handSpread = spreadOf(runs.b);
    // No-change `up` vs the reads any no-change check must do: the backends' own lists, in parallel.
    await call('novafile.up', { cwd: home });
    const noChangeUp = () =>
      timed(async () => {
        const again = (await call('novafile.up', { cwd: home })) as { message: string };
        if (again.message !== 'no changes') throw new Error(`second up was not a no-op: ${again.message}`);
      });
    const lists = () => timed(() => Promise.all(['network.list', 'capsule.list', 'vm.list'].map((m) => call(m, { project: 'bench' }))));
    const idle = await interleave(noChangeUp, lists, NO_CHANGE_RUNS);
    const noChange = spreadOf(idle.a);
    const reads = spreadOf(idle.b);

    return [
      await saveResult({
        name: 'novafile-up-orchestration', metric: `nova up: ${CAPSULES} capsules on 2 switches vs the same engine operations one by one (median of ${RUNS}, interleaved; not a raw-tool comparison)`, unit: 'ms',
        value: upSpread.median, baseline: handSpread.median, ratio: upSpread.median / handSpread.median, goal: '<= 1x (the plan, lock and parallel apply must pay for themselves)', met: upSpread.median / handSpread.median <= 1,
        ...spreadFields(upSpread, handSpread),
        notes: `parallel 4 on ${(await import('node:os')).cpus().length} cores; nova down took ${Math.round(downMs)} ms`,
      }),
      await saveResult({
        name: 'novafile-up-no-change', metric: `no-change nova up (${CAPSULES + 2} items, in-process) vs the backends' list calls (median of ${NO_CHANGE_RUNS}, interleaved)`, unit: 'ms',
        value: noChange.median, baseline: reads.median, ratio: noChange.median / reads.median, goal: '< 300 ms', met: noChange.median < 300,
        ...spreadFields(noChange, reads),
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
