// Shared by the network benches: a throwaway namespace + NOVA_HOME, an engine that runs every
// host command inside it (recorded, so the raw commands can be replayed as the baseline).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import type { Engine } from '../src/core/engine.js';
import { createRunner } from '../src/core/sys/runner.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { rawRun } from './sample.js';

/** A recorded command with its stdin (ip -batch reads its commands there). */
export interface Call {
  argv: string[];
  input?: string;
}

export interface NetBenchLab {
  ns: string;
  home: string;
  engine: Engine;
  calls: Call[];
  raw: ReturnType<typeof createRunner>;
  close(): Promise<void>;
}

export async function netBenchLab(): Promise<NetBenchLab> {
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const ns = `nvbench-${randomBytes(3).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  const home = await mkdtemp(join(tmpdir(), 'nvbench-'));
  const env = { ...process.env, NOVA_HOME: home, NOVA_NETNS: ns };
  const inner = createRunner();
  const calls: Call[] = [];
  const runner = {
    run: (argv: readonly string[], opts?: Parameters<typeof inner.run>[1]) => {
      calls.push({ argv: [...argv], ...(typeof opts?.input === 'string' ? { input: opts.input } : {}) });
      return inner.run(argv, opts);
    },
  };
  const engine = createEngine({ env, paths: resolvePaths(env), runner });
  return {
    ns,
    home,
    engine,
    calls,
    raw: createRunner(),
    async close() {
      // Through Nova, so root's dnsmasq folders under /run/nova go with the switches.
      const { items } = (await engine.dispatcher.invoke('network.list', {})) as { items: { name: string }[] };
      for (const n of items) await engine.dispatcher.invoke('network.rm', { name: n.name, force: true }).catch(() => undefined);
      await engine.close();
      killMatching(home);
      execFileSync('ip', ['netns', 'del', ns]);
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** Kills every process whose cmdline mentions `marker` (our dnsmasqs, by their pid-file path). */
export function killMatching(marker: string): void {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(marker)) process.kill(Number(e), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** The host-changing commands among recorded calls (reads and checks are Nova's own overhead). */
export function mutating(calls: Call[]): Call[] {
  return calls.filter(({ argv: a }) => {
    const c = a.slice(a[0] === 'ip' && a[1] === 'netns' ? 4 : 0);
    const s = c.join(' ');
    return /^ip ((-force )?-batch|link (add|set)|addr (add|replace)|tuntap add)/.test(s) || c[0] === 'sysctl' || (c[0] === 'nft' && c.includes('-f')) || c[0] === 'dnsmasq';
  });
}

/**
 * Replays recorded calls (with their stdin) as the raw tools, spawned directly — not through
 * Nova's runner — one after another as a script would; any failing command fails the bench.
 */
export function replay(calls: Call[]): void {
  for (const c of calls) rawRun(c.argv, { ...(c.input !== undefined ? { input: c.input } : {}), detaches: c.argv.includes('dnsmasq') });
}

/** Runs a command for setup or teardown, where failure is expected and harmless. */
export function quietly(argv: string[]): void {
  spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore' });
}
