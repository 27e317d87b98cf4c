// `network.create` of a nat switch with DHCP + DNS against the raw ip/sysctl/nft/dnsmasq commands
// it performs (recorded from Nova's own run, replayed by spawning the tools directly as a script
// would), inside a bench namespace, interleaved (ABBA). Also the DHCP lease time a busybox client
// sees with --no-ping.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { killMatching, mutating, netBenchLab, quietly, replay } from './net-lab.js';
import type { Call } from './net-lab.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const N = runsOr(15);

export async function run(): Promise<BenchResult[]> {
  const lab = await netBenchLab();
  const { engine, ns } = lab;
  const spec = { profile: 'nat' as const, subnet: '10.214.1.1/24', dhcp_range: '10.214.1.100-10.214.1.200' };
  try {
    let recorded: Call[] = [];
    const novaCreate = async () => {
      lab.calls.length = 0;
      const ms = await timed(() => engine.dispatcher.invoke('network.create', { name: 'bench0', spec }));
      recorded = mutating(lab.calls);
      await engine.dispatcher.invoke('network.rm', { name: 'bench0' });
      return ms;
    };
    // The raw side: the same host-changing commands back to back (dnsmasq's folder and files
    // prepared beforehand, as a script would have them), then torn down outside the timing.
    const rawCreate = async () => {
      const runDir = dnsmasqFolder(recorded);
      mkdirSync(runDir, { recursive: true });
      for (const f of ['hosts', 'dhcp-hosts']) writeFileSync(join(runDir, f), '\n');
      const ms = await timed(() => replay(recorded));
      killMatching(join(runDir, 'dnsmasq.pid'));
      quietly(['ip', 'netns', 'exec', ns, 'ip', 'link', 'del', 'bench0']);
      quietly(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'ip', 'nova']);
      await rm(runDir, { recursive: true, force: true });
      // Root's per-engine folder above it, made by mkdir -p here, goes once empty (as Nova's rm does).
      await rmdir(dirname(runDir)).catch(() => undefined);
      return ms;
    };
    // The first pair (Nova first) warms caches and records the commands the raw side replays.
    const runs = await interleave(novaCreate, rawCreate, N);
    const nova = spreadOf(runs.a);
    const raw = spreadOf(runs.b);
    const create: BenchResult = {
      name: 'net-create',
      metric: `network.create nat+DHCP vs its ${recorded.length} raw changes spawned directly (median of ${N}, interleaved)`,
      unit: 'ms',
      value: round(nova.median),
      baseline: round(raw.median),
      ratio: round(nova.median / raw.median),
      goal: '<= 1.3x',
      met: nova.median / raw.median <= 1.3,
      ...spreadFields(nova, raw),
      // Nova adds reads to the changes: links + routes before (validation), links + nft after (derived state).
      notes: `raw: ${recorded.map((c) => c.argv.slice(4, 7).join(' ')).join(' | ')}; Nova also validates against the host before and derives the state after`,
    };

    // Lease time: a veth client in a child namespace, busybox udhcpc with a harmless script.
    await engine.dispatcher.invoke('network.create', { name: 'bench0', spec });
    const client = `${ns}-c`;
    const sh = (argv: string[]) => lab.raw.run(argv);
    await sh(['ip', 'netns', 'add', client]);
    const leases: number[] = [];
    try {
      mkdirSync(`/etc/netns/${client}`, { recursive: true });
      writeFileSync(`/etc/netns/${client}/resolv.conf`, '# bench\n');
      await sh(['ip', '-n', ns, 'link', 'add', 'bcl0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
      await sh(['ip', '-n', ns, 'link', 'set', 'bcl0', 'master', 'bench0', 'up']);
      await sh(['ip', '-n', client, 'link', 'set', 'eth0', 'up']);
      const script = join(lab.home, 'udhcpc.sh');
      writeFileSync(script, '#!/bin/sh\nexit 0\n');
      chmodSync(script, 0o755);
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await sh(['ip', 'netns', 'exec', client, 'busybox', 'udhcpc', '-i', 'eth0', '-s', script, '-n', '-q', '-f', '-t', '5', '-T', '1']);
        leases.push(performance.now() - t);
      }
    } finally {
      await sh(['ip', 'netns', 'del', client]).catch(() => undefined);
      await rm(`/etc/netns/${client}`, { recursive: true, force: true });
      await engine.dispatcher.invoke('network.rm', { name: 'bench0' }); // its dnsmasq folder under /run/nova too
    }
    const lease = spreadOf(leases).median;
    const leaseResult: BenchResult = {
      name: 'net-lease',
      metric: 'DHCP lease (busybox udhcpc, dnsmasq --no-ping), median of 5',
      unit: 'ms',
      value: round(lease),
      baseline: null,
      ratio: round(lease / 500),
      goal: '< 500 ms (3.4 s with ping checks)',
      met: lease < 500,
    };
    return [await saveResult(create), await saveResult(leaseResult)];
  } finally {
    await lab.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The folder of dnsmasq's pid and hosts files, from its recorded command line. */
function dnsmasqFolder(calls: Call[]): string {
  const arg = calls.flatMap((c) => c.argv).find((a) => a.startsWith('--pid-file='));
  if (!arg) throw new Error('network.create ran no dnsmasq with a pid file');
  return dirname(arg.slice('--pid-file='.length));
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
