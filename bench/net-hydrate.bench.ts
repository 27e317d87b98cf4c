// Hydrate of 20 switches (bridges deleted, table flushed, dnsmasqs killed behind Nova's back)
// against replaying the raw commands hydrate performed; `network.list` latency with 20 switches
// against the raw reads it makes (ip -j addr, nft -j list table).
import { join } from 'node:path';
import { killMatching, median, mutating, netBenchLab, replay } from './net-lab.js';
import type { Call } from './net-lab.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const SWITCHES = 20;

export async function run(): Promise<BenchResult[]> {
  const lab = await netBenchLab();
  const { engine, ns } = lab;
  const inNs = (argv: string[]) => lab.raw.run(['ip', 'netns', 'exec', ns, ...argv], { allowFailure: true });
  const names = Array.from({ length: SWITCHES }, (_, i) => `hb${i}`);
  const sabotage = async () => {
    killMatching(join(lab.home, 'run', 'networks'));
    for (const n of names) await inNs(['ip', 'link', 'del', n]);
    await inNs(['nft', 'flush', 'table', 'ip', 'nova']);
  };
  try {
    for (const [i, name] of names.entries()) {
      await engine.dispatcher.invoke('network.create', { name, spec: { profile: 'nat', subnet: `10.214.${10 + i}.1/24` } });
    }
    // network.list latency vs the raw reads.
    const list: number[] = [];
    const reads: number[] = [];
    for (let i = 0; i < 25; i++) {
      let t = performance.now();
      await engine.dispatcher.invoke('network.list', {});
      list.push(performance.now() - t);
      t = performance.now();
      await Promise.all([inNs(['ip', '-d', '-j', 'addr', 'show']), inNs(['nft', '-j', 'list', 'table', 'ip', 'nova'])]);
      reads.push(performance.now() - t);
    }
    // Alternate Nova and the raw replay (3 rounds each) so machine load hits both alike.
    const nova: number[] = [];
    const raw: number[] = [];
    let recorded: Call[] = [];
    for (let round = 0; round < 3; round++) {
      await sabotage();
      lab.calls.length = 0;
      let t = performance.now();
      const report = (await engine.dispatcher.invoke('network.hydrate', {})) as { recreated: string[] };
      nova.push(performance.now() - t);
      if (report.recreated.length !== SWITCHES) throw new Error(`hydrate recreated ${report.recreated.length}/${SWITCHES}`);
      recorded = mutating(lab.calls);
      await sabotage();
      t = performance.now();
      await replay(lab.raw, recorded, true);
      raw.push(performance.now() - t);
    }
    const hydrate = median(nova);
    const rawMs = median(raw);
    const ls = percentile(list, 50);
    const lsRaw = percentile(reads, 50);
    return [
      await saveResult({
        name: 'net-hydrate',
        metric: `hydrate of ${SWITCHES} nat switches vs replaying its ${recorded.length} raw changes`,
        unit: 'ms',
        value: Math.round(hydrate),
        baseline: Math.round(rawMs),
        ratio: round(hydrate / rawMs),
        goal: '<= 1.5x',
        met: hydrate / rawMs <= 1.5,
        notes: 'median of 3 alternating rounds; Nova also reads links, routes, /proc and the state files',
      }),
      await saveResult({
        name: 'net-ls',
        metric: `network.list p50 with ${SWITCHES} switches vs the raw reads (ip -j addr + nft -j list)`,
        unit: 'ms',
        value: round(ls),
        baseline: round(lsRaw),
        ratio: round(ls / lsRaw),
        goal: '<= 2.5x',
        met: ls / lsRaw <= 2.5,
        notes: `median ${round(median(list))} ms`,
      }),
    ];
  } finally {
    await lab.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
