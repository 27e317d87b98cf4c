// `nova ls` in this process without building an engine: the same row code the engine's
// resource registry runs (src/core/*/rows.ts), behind the same ResourceRegistry (filter, sort),
// with only the host access those rows need — no contract, no zod, no commander, no command
// modules. Part of out/cli/nova-fast.cjs (src/cli/fast.ts). Anything it cannot answer exactly as
// the engine would — a kind it does not know, networks (their rows come from the network backend
// or `nova privd`), any error — returns undefined, and the full CLI answers instead.
import { readdirSync } from 'node:fs';
import type { ResourceSummary } from '../shared/contract/resource.js';
import { RESOURCE_KINDS } from '../shared/resource-kinds.js';
import type { ResourceKind } from '../shared/resource-kinds.js';
import { capsuleRows } from '../core/capsule/rows.js';
import { privdPresent } from '../core/privilege/socket.js';
import { ResourceRegistry } from '../core/resources/registry.js';
import { dirs, resolvePaths } from '../core/sys/paths.js';
import type { NovaPaths } from '../core/sys/paths.js';
import { currentIdentity, hasCap } from '../core/sys/privilege.js';
import { createRunner } from '../core/sys/runner.js';
import { acceleratorOnce } from '../core/vm/accelerator.js';
import { vmRows } from '../core/vm/rows.js';

class NotHere extends Error {}

/**
 * The engine's network rows are empty exactly when it has no switch to list: it lists them itself
 * (CAP_NET_ADMIN) from its declarations, or asks `nova privd`, and finds none when the helper is
 * not there (the registry's provider turns that error into no rows).
 */
function noNetworks(paths: NovaPaths, env: NodeJS.ProcessEnv): boolean {
  if (!hasCap(currentIdentity(), 'CAP_NET_ADMIN')) return !privdPresent(env);
  let files: string[] = [];
  try {
    files = readdirSync(dirs.networks(paths));
  } catch {
    /* no network yet */
  }
  return !files.some((f) => f.endsWith('.json') && !f.startsWith('.'));
}

/** resource.list's output as the engine would give it, or undefined for the full CLI to answer. */
export async function listInProcess(params: { kind?: string; project?: string }, env: NodeJS.ProcessEnv = process.env): Promise<{ items: ResourceSummary[] } | undefined> {
  const kind = params.kind as ResourceKind | undefined;
  if (kind !== undefined && !RESOURCE_KINDS.includes(kind)) return undefined; // the engine's own message
  const paths = resolvePaths(env);
  const runner = createRunner();
  const registry = new ResourceRegistry();
  registry.provide('vm', () => vmRows({ paths, accelerator: acceleratorOnce({ runner, paths }) }));
  registry.provide('capsule', () => capsuleRows({ paths, env, runner }));
  registry.provide('network', async () => {
    if (!noNetworks(paths, env)) throw new NotHere();
    return [];
  });
  try {
    return { items: await registry.list({ ...(kind ? { kind } : {}), ...(params.project !== undefined ? { project: params.project } : {}) }) };
  } catch {
    return undefined; // networks to list, or an error the full CLI reports in its own words
  }
}
