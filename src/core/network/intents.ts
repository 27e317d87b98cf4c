import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NetworkOwner } from '../../shared/contract/network.js';
import { readJson, sweepStaleTemps } from '../sys/atomic.js';
import { writeRuntimeFile } from './runtime-file.js';
import { applyNft } from './apply.js';
import type { NetCtx } from './context.js';
import { stopDnsmasq } from './dnsmasq.js';
import { ownerKey } from './ipam.js';
import { deleteLink, deleteOwnLink } from './links.js';
import { aliasFor } from './owner.js';
import { removeOverlayLink } from './overlay.js';
import type { NetworkState } from './store.js';
import { deleteNetworkFile, loadNetwork, saveNetwork } from './store.js';
import { releaseUplink } from './uplink.js';

// The intent log: a multi-step host change writes what it is about to make BEFORE making it and
// clears the entry when it is done. An entry left behind means the process died mid-way (every
// such change holds the network lock, so nobody else is running it): the change is rolled back,
// by hydrate or by the next operation on the same switch or owner.

export type Intent =
  /** The switch as planned; rewritten with uplink configs before they are moved to the bridge. */
  | { op: 'create'; network: NetworkState }
  | { op: 'attach'; network: string; owner: NetworkOwner; ifname: string };

const dir = (ctx: NetCtx) => join(ctx.stateDir, 'intents');
const fileOf = (ctx: NetCtx, i: Intent) =>
  join(dir(ctx), i.op === 'create' ? `create-${i.network.name}.json` : `attach-${i.network}-${ownerKey(i.owner).replace(':', '-')}.json`);

/**
 * Temp file + rename, no fsync: an intent describes kernel state (links, rules, dnsmasq) that a
 * kill -9 leaves behind and the page cache keeps the intent through; a power cut wipes both, so
 * there is nothing an intent lost to it could have rolled back (and one it left unreadable is
 * dropped by loadIntents). Two fsyncs less in front of every create and attach.
 */
export async function recordIntent(ctx: NetCtx, i: Intent): Promise<void> {
  await writeRuntimeFile(fileOf(ctx, i), JSON.stringify(i));
}

export async function clearIntent(ctx: NetCtx, i: Intent): Promise<void> {
  await rm(fileOf(ctx, i), { force: true });
}

export async function loadIntents(ctx: NetCtx): Promise<Intent[]> {
  const names = (await readdir(dir(ctx)).catch(() => [] as string[])).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
  const all = await Promise.all(
    names.map(async (f) => {
      const path = join(dir(ctx), f);
      try {
        return await readJson<Intent | undefined>(path, undefined);
      } catch (e) {
        // Unreadable only after a power cut (recordIntent does not fsync), which also wiped the
        // host changes it described: nothing is left to roll back.
        if ((e as { code?: string }).code !== 'INTERNAL') throw e;
        await rm(path, { force: true });
        return undefined;
      }
    }),
  );
  return all.filter((i): i is Intent => Boolean(i));
}

/** Undoes an interrupted change; returns what it removed (for reports). */
export async function rollBack(ctx: NetCtx, i: Intent): Promise<string> {
  if (i.op === 'create') {
    const n = i.network;
    await stopDnsmasq(ctx, n.name, true);
    for (const iface of Object.keys(n.uplinks ?? {})) await releaseUplink(ctx, n, iface);
    if (n.spec.type === 'overlay') await removeOverlayLink(ctx, n);
    await deleteOwnLink(ctx, n.name, aliasFor(ctx, n.name));
    await deleteNetworkFile(ctx, n.name);
    await applyNft(ctx);
    await clearIntent(ctx, i);
    return `network ${n.name} (create interrupted)`;
  }
  // By name, not alias: a kill between `ip link add` and `ip link set alias` leaves no alias, and the
  // name is Nova's own (derived from switch + owner). Deleting the host side of a veth deletes its
  // peer too, wherever it was moved.
  await deleteLink(ctx, i.ifname);
  const n = await loadNetwork(ctx, i.network);
  const key = ownerKey(i.owner);
  if (n?.attachments.some((a) => ownerKey(a.owner) === key)) {
    n.attachments = n.attachments.filter((a) => ownerKey(a.owner) !== key);
    const res = n.reservations.find((r) => r.key === key);
    if (res) res.attached = false;
    await saveNetwork(ctx, n);
  }
  await applyNft(ctx);
  await clearIntent(ctx, i);
  return `attachment ${i.ifname} of ${i.owner.kind} ${i.owner.name} (attach interrupted)`;
}

/** Sweeps half-written files and rolls back the interrupted changes matching `which` (all when omitted). */
export async function rollBackInterrupted(ctx: NetCtx, which: (i: Intent) => boolean = () => true): Promise<string[]> {
  const done: string[] = [];
  for (const d of [ctx.stateDir, dir(ctx)]) done.push(...(await sweepStaleTemps(d)).map((f) => `file ${f}`));
  for (const i of (await loadIntents(ctx)).filter(which)) done.push(await rollBack(ctx, i));
  return done;
}
