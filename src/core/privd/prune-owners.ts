import type { NetCtx } from '../network/context.js';
import { loadAll } from '../network/store.js';
import type { Owners } from './owners.js';
import { attachmentKey } from './owners.js';

/** At start: records of switches and attachments that no longer exist are dropped. */
export async function pruneOwners(ctx: NetCtx, owners: Owners): Promise<void> {
  const nets = await loadAll(ctx);
  const names = new Set(nets.map((n) => n.name));
  const keys = new Set(nets.flatMap((n) => n.reservations.map((r) => attachmentKey(n.name, r.key))));
  await owners.drop('switch', (k) => !names.has(k));
  await owners.drop('attachment', (k) => !keys.has(k));
}
