// `network.create` of a nat switch with DHCP + DNS against the raw ip/sysctl/nft/dnsmasq commands
// it performs (replayed from a recording of the same run), inside a bench namespace. Also the
// DHCP lease time a busybox client sees with --no-ping.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { killMatching, median, mutating, netBenchLab, replay } from './net-lab.js';
import type { Call } from './net-lab.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const N = 7;

export async function run(): Promise<BenchResult[]> {
  const lab = await netBenchLab();
  const { engine, ns } = lab;
  const spec = { profile: 'nat' as const, subnet: '10.214.1.1/24', dhcp_range: '10.214.1.100-10.214.1.200' };
  try {
    const nova: number[] = [];
    let recorded: Call[] = [];
    for (let i = 0; i <= N; i++) {
      lab.calls.length = 0;
      const t = performance.now();
      await engine.dispatcher.invoke('network.create', { name: 'bench0', spec });
      if (i > 0) nova.push(performance.now() - t); // first run warms caches
      recorded = mutating(lab.calls);
      await engine.dispatcher.invoke('network.rm', { name: 'bench0' });
    }
    // Baseline: the same host-changing commands, back to back, through the same netns runner.
    const runDir = join(lab.home, 'run', 'networks', 'bench0');
    const raw: number[] = [];
    for (let i = 0; i < N; i++) {
      mkdirSync(runDir, { recursive: true });
      for (const f of ['hosts', 'dhcp-hosts']) writeFileSync(join(runDir, f), '\n');
      const t = performance.now();
      await replay(lab.raw, recorded);
      raw.push(performance.now() - t);
      killMatching(join(runDir, 'dnsmasq.pid'));
      await lab.raw.run(['ip', 'netns', 'exec', ns, 'ip', 'link', 'del', 'bench0'], { allowFailure: true });
      await lab.raw.run(['ip', 'netns', 'exec', ns, 'nft', 'delete', 'table', 'ip', 'nova'], { allowFailure: true });
      await rm(runDir, { recursive: true, force: true });
    }
    const value = median(nova);
    const baseline = median(raw);
    const create: BenchResult = {
      name: 'net-create',
      metric: `network.create nat+DHCP (median of ${N}) vs its ${recorded.length} raw changes`,
      unit: 'ms',
      value: round(value),
      baseline: round(baseline),
      ratio: round(value / baseline),
      goal: '<= 2.5x',
      met: value / baseline <= 2.5,
      // Nova adds 4 reads to the 4 changes: links + routes before (validation), links + nft after (derived state).
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
    }
    const lease = median(leases);
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

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
