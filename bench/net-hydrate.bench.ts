// Hydrate of 20 switches (bridges deleted, table flushed, dnsmasqs killed behind Nova's back)
// against the raw commands hydrate performed, spawned directly one after another (a failing one
// fails the bench), interleaved (ABBA); `network.list` latency with 20 switches against the raw
// reads it makes (ip -j addr, nft -j list table), interleaved.
import { killMatching, mutating, netBenchLab, replay } from './net-lab.js';
import { interleave, rawRead, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import type { Call } from './net-lab.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const SWITCHES = 20;
const ROUNDS = runsOr(15);
const LIST_RUNS = runsOr(25);

export async function run(): Promise<BenchResult[]> {
  const lab = await netBenchLab();
  const { engine, ns } = lab;
  const inNs = (argv: string[]) => lab.raw.run(['ip', 'netns', 'exec', ns, ...argv], { allowFailure: true });
  const names = Array.from({ length: SWITCHES }, (_, i) => `hb${i}`);
  const sabotage = async () => {
    // Every dnsmasq of the lab: its lease file is under NOVA_HOME (root keeps the pid file under
    // /run/nova/dnsmasq, so a match on <home>/run/networks missed them all and none was restarted).
    killMatching(lab.home);
    for (const n of names) await inNs(['ip', 'link', 'del', n]);
    await inNs(['nft', 'flush', 'table', 'ip', 'nova']);
  };
  try {
    for (const [i, name] of names.entries()) {
      await engine.dispatcher.invoke('network.create', { name, spec: { profile: 'nat', subnet: `10.214.${10 + i}.1/24` } });
    }
    // network.list latency vs the raw reads (both read the same host state; Nova also its files).
    const lists = await interleave(
      () => timed(() => engine.dispatcher.invoke('network.list', {})),
      () => timed(() => Promise.all([rawRead(['ip', 'netns', 'exec', ns, 'ip', '-d', '-j', 'addr', 'show']), rawRead(['ip', 'netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'ip', 'nova'])])),
      LIST_RUNS,
    );
    let recorded: Call[] = [];
    const novaHydrate = async () => {
      await sabotage();
      lab.calls.length = 0;
      let report: { recreated: string[] } | undefined;
      const ms = await timed(async () => (report = (await engine.dispatcher.invoke('network.hydrate', {})) as { recreated: string[] }));
      if (report?.recreated.length !== SWITCHES) throw new Error(`hydrate recreated ${report?.recreated.length}/${SWITCHES}`);
      recorded = mutating(lab.calls);
      return ms;
    };
    const rawHydrate = async () => {
      await sabotage();
      return timed(() => replay(recorded));
    };
    // The first pair (Nova first) warms up and records what the raw side replays.
    const rounds = await interleave(novaHydrate, rawHydrate, ROUNDS);
    // Put the switches back: lab.close() removes them through Nova, dnsmasq folders included.
    await engine.dispatcher.invoke('network.hydrate', {});
    const nova = spreadOf(rounds.a);
    const raw = spreadOf(rounds.b);
    const ls = spreadOf(lists.a);
    const lsRaw = spreadOf(lists.b);
    return [
      await saveResult({
        name: 'net-hydrate',
        metric: `hydrate of ${SWITCHES} nat switches vs replaying its ${recorded.length} raw changes`,
        unit: 'ms',
        value: Math.round(nova.median),
        baseline: Math.round(raw.median),
        ratio: round(nova.median / raw.median),
        goal: '<= 1.2x',
        met: nova.median / raw.median <= 1.2,
        ...spreadFields(nova, raw),
        notes: `median of ${ROUNDS} interleaved rounds; Nova also reads links, routes, /proc and the state files`,
      }),
      await saveResult({
        name: 'net-ls',
        metric: `network.list median with ${SWITCHES} switches vs the raw reads (ip -j addr + nft -j list)`,
        unit: 'ms',
        value: round(ls.median),
        baseline: round(lsRaw.median),
        ratio: round(ls.median / lsRaw.median),
        goal: '<= 2.5x',
        met: ls.median / lsRaw.median <= 2.5,
        ...spreadFields(ls, lsRaw),
      }),
    ];
  } finally {
    await lab.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
