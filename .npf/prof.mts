import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '/work/wt-perf/src/core/engine.ts';
import { createRunner } from '/work/wt-perf/src/core/sys/runner.ts';
import { resolvePaths } from '/work/wt-perf/src/core/sys/paths.ts';
const ns = `npf-prof${process.pid}`;
execFileSync('ip', ['netns', 'add', ns]);
execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
const home = await mkdtemp(join(tmpdir(), 'npf-'));
const env = { ...process.env, NOVA_HOME: home, NOVA_NETNS: ns };
const inner = createRunner();
let log: string[] = [];
let T0 = 0;
const runner = { run: async (argv: readonly string[], opts?: any) => {
  const s = performance.now();
  const r = await inner.run(argv, opts);
  log.push(`${(s - T0).toFixed(1).padStart(6)} +${(performance.now() - s).toFixed(1).padStart(5)}  ${argv.slice(4).join(' ').slice(0, 120)}`);
  return r;
} };
const engine = createEngine({ env, paths: resolvePaths(env), runner } as any);
const mode = process.argv[2] ?? 'create';
try {
  if (mode === 'create') {
    const spec = { profile: 'nat' as const, subnet: '10.117.1.1/24', dhcp_range: '10.117.1.100-10.117.1.200' };
    for (let i = 0; i < 6; i++) {
      log = []; T0 = performance.now();
      await engine.dispatcher.invoke('network.create', { name: 'npf0', spec });
      const t1 = performance.now();
      console.log(`create ${(t1 - T0).toFixed(1)} ms`);
      if (i >= 4) console.log(log.join('\n'));
      await engine.dispatcher.invoke('network.rm', { name: 'npf0' });
    }
  } else {
    const names = Array.from({ length: 20 }, (_, i) => `npfh${i}`);
    for (const [i, name] of names.entries()) await engine.dispatcher.invoke('network.create', { name, spec: { profile: 'nat', subnet: `10.117.${10 + i}.1/24` } });
    for (let k = 0; k < 3; k++) {
      // sabotage
      for (const e of (await import('node:fs')).readdirSync('/proc')) { if (!/^\d+$/.test(e)) continue; try { if ((await import('node:fs')).readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(home)) process.kill(Number(e), 'SIGKILL'); } catch {} }
      for (const n of names) execFileSync('ip', ['-n', ns, 'link', 'del', n]);
      execFileSync('ip', ['netns', 'exec', ns, 'nft', 'flush', 'table', 'ip', 'nova']);
      log = []; T0 = performance.now();
      await engine.dispatcher.invoke('network.hydrate', {});
      console.log(`hydrate ${(performance.now() - T0).toFixed(1)} ms, ${log.length} calls`);
      if (k === 2) console.log(log.join('\n'));
    }
  }
} finally {
  const { items } = (await engine.dispatcher.invoke('network.list', {})) as any;
  for (const n of items) await engine.dispatcher.invoke('network.rm', { name: n.name, force: true }).catch(() => undefined);
  await engine.close();
  execFileSync('ip', ['netns', 'del', ns]);
  await rm(home, { recursive: true, force: true });
}
