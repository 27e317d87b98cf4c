import { z } from 'zod';
import type { VerbGroup } from '../../shared/contract/privileged.js';
import { installIntegration, uninstallIntegration } from '../system/integration.js';
import type { NetCtx } from '../network/context.js';
import type { NetworkOps } from '../network/ops.js';
import type { Runner } from '../sys/runner.js';
import { pruneOwners } from './prune-owners.js';
import type { Owners } from './owners.js';
import type { Peer } from './peer.js';
import { lazy } from '../../shared/lazy.js';

// The `system` verbs of `nova privd`: Nova's host integration (nova on PATH, the boot-time hydrate
// unit, the helper's own units, the polkit policy) and converging every recorded switch. They take
// no input at all: where files go is the helper's business (NOVA_SYSTEM_DESTDIR in its own
// environment stages them under a folder, for tests and packagers), never the caller's.

const none = lazy(() => z.object({}).strict().default({}));

export const SYSTEM_VERBS = {
  'system.install': { group: 'system', input: none },
  'system.remove': { group: 'system', input: none },
  'system.hydrate': { group: 'system', input: none },
} satisfies Record<string, { group: VerbGroup; input: z.ZodType }>;

export type SystemVerb = keyof typeof SYSTEM_VERBS;

export function systemHandlers(runner: Runner, ops: NetworkOps, ctx: NetCtx, owners: Owners, env: NodeJS.ProcessEnv) {
  const destdir = env.NOVA_SYSTEM_DESTDIR || undefined;
  return {
    'system.install': (_i: unknown, _peer: Peer) => installIntegration(runner, destdir),
    'system.remove': (_i: unknown, _peer: Peer) => uninstallIntegration(runner, destdir),
    'system.hydrate': async () => {
      const report = await ops.hydrate();
      await pruneOwners(ctx, owners);
      return report;
    },
  } satisfies Record<SystemVerb, (i: never, peer: Peer) => Promise<unknown>>;
}
