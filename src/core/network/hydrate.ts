import { access, rm } from 'node:fs/promises';
import type { NetCtx } from './context.js';
import { rollBackInterrupted } from './intents.js';
import { ensureResponder, killAndWait, needsDnsmasq, ourDnsmasqs, dnsmasqPid, startDnsmasq, writeHostFiles, removeDnsmasqDir } from './dnsmasq.js';
import { orphanResponders, stopResponder } from './overlay-dns.js';
import { ownerKey, parseSubnet } from './ipam.js';
import { addAddress, createTap, deleteLink, deleteOwnLink, ipBatch, linksAndRoutes, setMaster, setUp } from './links.js';
import type { Link } from './links.js';
import { aliasFor, parseAlias } from './owner.js';
import { applyForwarding, applyNft, factsFrom, hostFacts, ownerMarker } from './apply.js';
import { overlayMtu, overlayOwnsPart, repairOverlay } from './overlay.js';
import { allSettledOrThrow, attachedUplinks, bridgeLink, bridgeLinesFor, bringUpBridge, plainBridge } from './switches.js';
import type { HostView } from './switches.js';
import { declarationProblem, loadAll, saveNetwork } from './store.js';
import { takeOverUplink } from './uplink.js';
import type { NetworkState } from './store.js';

// Converge the host with what is declared: recreate missing bridges, re-add addresses and
// uplinks, re-enslave attachments, rebuild the nft table, restart dead dnsmasqs, and remove every
// Nova-owned link, rule and process nothing declares (what a kill -9 mid-create leaves behind).

export interface HydrateReport {
  recreated: string[];
  repaired: string[];
  removed: string[];
  /** Switches that could not be repaired, with the reason; every other switch was still repaired. */
  failed: { name: string; reason: string }[];
}

export async function hydrate(ctx: NetCtx): Promise<HydrateReport> {
  return (await hydrateWithView(ctx)).report;
}

/**
 * Hydrate, plus the host as it left it when its own successful commands say all there is to know
 * (plain bridges recreated by one batch, the table it applied, links read before): the states
 * published afterwards need no second read then. No view when anything else changed a link.
 */
export async function hydrateWithView(ctx: NetCtx): Promise<{ report: HydrateReport; view?: HostView }> {
  const report: HydrateReport = { recreated: [], repaired: [], removed: [], failed: [] };
  // 0. Changes a kill -9 interrupted are rolled back (the intent log), half-written files swept.
  report.removed.push(...(await rollBackInterrupted(ctx)));
  const all = await loadAll(ctx);
  const declared = new Map(all.map((n) => [n.name, n]));
  // One switch failing (a bad declaration, a missing uplink) must not stop the others' repair.
  const broken = new Set<string>();
  const each = async (n: NetworkState, step: () => Promise<void>) => {
    if (broken.has(n.name)) return;
    try {
      await step();
    } catch (e) {
      broken.add(n.name);
      report.failed.push({ name: n.name, reason: e instanceof Error ? e.message : String(e) });
    }
  };
  const healthy = () => all.filter((n) => !broken.has(n.name));
  for (const n of all) {
    const problem = declarationProblem(n);
    if (problem) await each(n, () => Promise.reject(new Error(problem)));
  }

  // 1. Orphan links first, so recreated bridges never collide with leftovers. Links and routes
  // are read once; again only when an orphan went (a deleted veth takes its peer along).
  let host = await linksAndRoutes(ctx);
  if (await removeOrphanLinks(ctx, host.links, declared, report)) host = await linksAndRoutes(ctx);
  const byName = new Map(host.links.map((l) => [l.ifname, l]));

  // 2. Rules: one rebuild from the declarations (drops undeclared rules, restores missing ones).
  // They name interfaces, not links: applied while the bridges come up.
  const rules = (async () => {
    const applied = all.length || (await exists(ownerMarker(ctx))) ? await applyNft(ctx, all) : [];
    if (!all.length) await rm(ownerMarker(ctx), { force: true });
    return applied;
  })();
  rules.catch(() => undefined); // awaited below, after every other step settled
  let exact = all.every(plainBridge);
  const links = async () => {
    // 3. Bridges, addresses, uplinks, overlays, attachments. Plain bridges that are missing come
    // back in one `ip -batch` for all of them.
    const batched = await recreatePlainBridges(ctx, all.filter((n) => !broken.has(n.name) && !byName.has(n.name) && plainBridge(n)));
    for (const n of all) {
      await each(n, async () => {
        const before = byName.get(n.name);
        if (batched.has(n.name)) report.recreated.push(n.name);
        else if (!before) {
          await bringUpBridge(ctx, n, () => undefined);
          await saveNetwork(ctx, n);
          report.recreated.push(n.name);
        } else if (await repairBridge(ctx, n, before, byName)) report.repaired.push(n.name);
        if (await repairAttachments(ctx, n, byName)) report.repaired.push(`${n.name} attachments`);
      });
    }
    if (report.repaired.length) exact = false;
    // Uplinks and overlays move addresses and routes (maybe the default one): read again after them.
    const facts = exact ? factsFrom([...byName.values()], host.routes) : await hostFacts(ctx);
    for (const name of report.recreated) facts.links.add(name);
    // 4. Forwarding and dnsmasq need the bridges, not each other.
    await allSettledOrThrow([healthy().length ? applyForwarding(ctx, healthy(), facts) : Promise.resolve(), dnsmasqs(ctx, all, declared, report, each)]);
  };
  await allSettledOrThrow([links(), rules]);
  const applied = await rules;
  if (!exact || report.failed.length) return { report };
  for (const n of all) if (report.recreated.includes(n.name)) byName.set(n.name, bridgeLink(ctx, n));
  return { report, view: { links: byName, rules: applied.map((r, handle) => ({ chain: r.chain, handle, comment: r.comment })) } };
}

/**
 * dnsmasq: orphans killed, dead ones restarted side by side (each waits only for its own daemon to
 * bind), and the one of a recreated bridge restarted too: bound to the old interface, it stays
 * alive but answers nobody on the new one. The report keeps the declarations' order.
 */
async function dnsmasqs(ctx: NetCtx, all: NetworkState[], declared: Map<string, NetworkState>, report: HydrateReport, each: (n: NetworkState, step: () => Promise<void>) => Promise<void>): Promise<void> {
  await removeOrphanDnsmasqs(ctx, declared, report);
  const restarted = await inParallel(all.filter(needsDnsmasq), DNSMASQ_STARTS, async (n) => {
    let started = false;
    await each(n, async () => {
      const pid = await dnsmasqPid(ctx, n.name);
      if (pid && !report.recreated.includes(n.name)) {
        await writeHostFiles(ctx, n);
        await ensureResponder(ctx, n);
      } else {
        if (pid) await killAndWait(pid);
        await startDnsmasq(ctx, n);
        started = true;
      }
    });
    return started && !report.recreated.includes(n.name) ? n.name : undefined;
  });
  for (const name of restarted) if (name) report.repaired.push(`${name} dnsmasq`);
}

/** dnsmasqs started at once by hydrate (each is a short fork + bind; two cores stay busy). */
const DNSMASQ_STARTS = 8;

/** Runs `fn` over `items`, at most `limit` at a time; results in the items' order. */
async function inParallel<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Missing plain bridges (no overlay, uplink or enslaved interface) in one `ip -force -batch`.
 * When it fails, what it made is taken down again and those switches are left to the one-by-one
 * path, which attributes the error to its switch. Returns the switches recreated here.
 */
async function recreatePlainBridges(ctx: NetCtx, nets: NetworkState[]): Promise<Set<string>> {
  if (nets.length < 2) return new Set();
  try {
    await ipBatch(ctx, nets.flatMap((n) => bridgeLinesFor(ctx, n)), { force: true });
    return new Set(nets.map((n) => n.name));
  } catch {
    for (const n of nets) await deleteOwnLink(ctx, n.name, aliasFor(ctx, n.name));
    return new Set();
  }
}

/** Nova-aliased links nothing declares (what a kill -9 mid-create or mid-attach leaves behind). */
async function removeOrphanLinks(ctx: NetCtx, links: Link[], declared: Map<string, NetworkState>, report: HydrateReport): Promise<boolean> {
  let removed = false;
  for (const l of links) {
    const a = parseAlias(ctx, l.ifalias);
    if (!a) continue;
    const n = declared.get(a.network);
    let wanted = false;
    if (n && !a.part) wanted = l.ifname === n.name;
    else if (n && a.part && overlayOwnsPart(n, a.part)) wanted = true;
    else if (n) wanted = n.attachments.some((x) => ownerKey(x.owner) === a.part && x.ifname === l.ifname);
    if (!wanted) {
      await deleteLink(ctx, l.ifname);
      report.removed.push(`link ${l.ifname}`);
      removed = true;
    }
  }
  return removed;
}

async function removeOrphanDnsmasqs(ctx: NetCtx, declared: Map<string, NetworkState>, report: HydrateReport): Promise<void> {
  for (const name of await orphanResponders(ctx, new Set([...declared.values()].filter(needsDnsmasq).map((n) => n.name)))) {
    await stopResponder(ctx, name, killAndWait);
    report.removed.push(`dns responder (${name})`);
  }
  for (const p of await ourDnsmasqs(ctx)) {
    const n = declared.get(p.network);
    if (!n || !needsDnsmasq(n) || (await dnsmasqPid(ctx, p.network)) !== p.pid) {
      await killAndWait(p.pid);
      report.removed.push(`dnsmasq ${p.pid} (${p.network})`);
      if (!n) await removeDnsmasqDir(ctx, p.network);
    }
  }
}

async function repairBridge(ctx: NetCtx, n: NetworkState, br: Link, links: Map<string, Link>): Promise<boolean> {
  let fixed = false;
  if (n.subnet) {
    const s = parseSubnet(n.subnet);
    if (!br.addrs.some((a) => a.local === s.gateway)) {
      await addAddress(ctx, n.name, `${s.gateway}/${s.prefix}`);
      fixed = true;
    }
  }
  for (const u of attachedUplinks(n)) {
    const l = links.get(u);
    if (l && l.master !== n.name) {
      await takeOverUplink(ctx, n, u);
      await saveNetwork(ctx, n);
      fixed = true;
    }
  }
  if (n.spec.type === 'overlay' && (await repairOverlay(ctx, n, links))) fixed = true;
  if (!br.flags.includes('UP')) {
    await setUp(ctx, n.name);
    fixed = true;
  }
  return fixed;
}

/** TAPs come back (the VM may reopen them); veths whose netns died are forgotten. */
async function repairAttachments(ctx: NetCtx, n: NetworkState, links: Map<string, Link>): Promise<boolean> {
  let changed = false;
  const keep = [];
  for (const a of n.attachments) {
    const l = links.get(a.ifname);
    if (!l && a.kind === 'veth') {
      const res = n.reservations.find((r) => r.key === ownerKey(a.owner));
      if (res) res.attached = false;
      changed = true;
      continue;
    }
    if (!l) {
      const res = n.reservations.find((r) => r.key === ownerKey(a.owner));
      await createTap(ctx, a.ifname, aliasFor(ctx, n.name, ownerKey(a.owner)), res?.mac, a.uid, n.spec.type === 'overlay' ? overlayMtu(n.spec) : n.spec.mtu);
      changed = true;
    }
    if (!l || l.master !== n.name) {
      await setMaster(ctx, a.ifname, n.name);
      await setUp(ctx, a.ifname);
      changed = true;
    }
    keep.push(a);
  }
  if (keep.length !== n.attachments.length) {
    n.attachments = keep;
    await saveNetwork(ctx, n);
  }
  return changed;
}

const exists = (p: string) => access(p).then(() => true, () => false);
