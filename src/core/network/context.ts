import { join } from 'node:path';
import { netnsArgv } from '../sys/netns.js';
import { dirs } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import type { RunOptions, RunResult, Runner } from '../sys/runner.js';
import type { EventBus } from '../rpc/bus.js';

/**
 * What every network helper needs: a runner scoped to the configured namespace, the nft table
 * name, and where state lives. NOVA_NETNS / NOVA_NFT_TABLE make an engine operate inside one
 * namespace with its own table (tests, labs).
 */
export interface NetCtx {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** argv as it must be spawned (for long-running children like tcpdump). */
  argv(argv: readonly string[]): string[];
  ns?: string;
  table: string;
  paths: NovaPaths;
  bus: EventBus;
  now(): number;
  stateDir: string;
  runDir: string;
  capturesDir: string;
}

const TABLE = /^[a-z][a-z0-9_]{0,30}$/;

/** The parts of the engine the network helpers use (structural: this file sits below the engine context). */
export interface NetSource {
  runner: Runner;
  env: NodeJS.ProcessEnv;
  paths: NovaPaths;
  bus: EventBus;
  clock: { now(): number };
}

export function netCtx(engine: NetSource): NetCtx {
  // A runner from netnsRunner() already runs inside its namespace: don't wrap twice, but spawned
  // children (tcpdump) and sysfs reads still need to know where the links live.
  const runnerNs = (engine.runner as { netns?: string }).netns;
  const envNs = engine.env.NOVA_NETNS || undefined;
  const ns = envNs ?? runnerNs;
  const wrap = envNs && envNs !== runnerNs ? envNs : undefined;
  const table = engine.env.NOVA_NFT_TABLE || 'nova';
  if (!TABLE.test(table)) throw new Error(`NOVA_NFT_TABLE "${table}" must be lowercase letters, digits and _`);
  return {
    run: (argv, opts) => engine.runner.run(netnsArgv(wrap, argv), opts),
    argv: (argv) => netnsArgv(ns, argv),
    ns,
    table,
    paths: engine.paths,
    bus: engine.bus,
    now: () => engine.clock.now(),
    stateDir: dirs.networks(engine.paths),
    runDir: join(engine.paths.runtime, 'networks'),
    capturesDir: dirs.captures(engine.paths),
  };
}
