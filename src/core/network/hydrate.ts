import { access, rm } from 'node:fs/promises';
import type { NetCtx } from './context.js';
import { killAndWait, needsDnsmasq, ourDnsmasqs, dnsmasqPid, startDnsmasq, writeHostFiles, dnsmasqDir } from './dnsmasq.js';
import { ownerKey, parseSubnet } from './ipam.js';
import { addAddress, createTap, deleteLink, listLinks, setMaster, setUp } from './links.js';
import type { Link } from './links.js';
import { aliasFor, parseAlias } from './owner.js';
import { applyForwarding, applyNft, hostFacts, ownerMarker } from './apply.js';
import { repairOverlay } from './overlay.js';
import { attachedUplinks, bringUpBridge } from './switches.js';
import { loadAll, saveNetwork } from './store.js';
import { takeOverUplink } from './uplink.js';
import type { NetworkState } from './store.js';

// Converge the host with what is declared: recreate missing bridges, re-add addresses and
// uplinks, re-enslave attachments, rebuild the nft table, restart dead dnsmasqs, and remove every
// Nova-owned link, rule and process nothing declares (what a kill -9 mid-create leaves behind).

export interface HydrateReport {
  recreated: string[];
  repaired: string[];
  removed: string[];
}

export async function hydrate(ctx: NetCtx): Promise<HydrateReport> {
  const report: HydrateReport = { recreated: [], repaired: [], removed: [] };
  const nets = await loadAll(ctx);
  const declared = new Map(nets.map((n) => [n.name, n]));
  let links = await listLinks(ctx);

  // 1. Orphan links first, so recreated bridges never collide with leftovers.
  for (const l of links) {
    const a = parseAlias(ctx, l.ifalias);
    if (!a) continue;
    const n = declared.get(a.network);
    let wanted = false;
    if (n && !a.part) wanted = l.ifname === n.name;
    else if (n && a.part === 'vxlan') wanted = n.spec.type === 'overlay';
    else if (n) wanted = n.attachments.some((x) => ownerKey(x.owner) === a.part && x.ifname === l.ifname);
    if (!wanted) {
      await deleteLink(ctx, l.ifname);
      report.removed.push(`link ${l.ifname}`);
    }
  }
  if (report.removed.length) links = await listLinks(ctx);
  const byName = new Map(links.map((l) => [l.ifname, l]));

  // 2. Bridges, addresses, uplinks, overlays, attachments.
  for (const n of nets) {
    const before = byName.get(n.name);
    if (!before) {
      await bringUpBridge(ctx, n, () => undefined);
      await saveNetwork(ctx, n);
      report.recreated.push(n.name);
    } else if (await repairBridge(ctx, n, before, byName)) report.repaired.push(n.name);
    if (await repairAttachments(ctx, n, byName)) report.repaired.push(`${n.name} attachments`);
  }
  if (nets.length) await applyForwarding(ctx, nets, await hostFacts(ctx));

  // 3. Rules: one rebuild from the declarations (drops undeclared rules, restores missing ones).
  if (nets.length || (await exists(ownerMarker(ctx)))) await applyNft(ctx, nets);
  if (!nets.length) await rm(ownerMarker(ctx), { force: true });

  // 4. dnsmasq: orphans killed, dead ones restarted.
  for (const p of await ourDnsmasqs(ctx)) {
    const n = declared.get(p.network);
    if (!n || !needsDnsmasq(n) || (await dnsmasqPid(ctx, p.network)) !== p.pid) {
      await killAndWait(p.pid);
      report.removed.push(`dnsmasq ${p.pid} (${p.network})`);
      if (!n) await rm(dnsmasqDir(ctx, p.network), { recursive: true, force: true });
    }
  }
  for (const n of nets) {
    if (!needsDnsmasq(n)) continue;
    if (await dnsmasqPid(ctx, n.name)) await writeHostFiles(ctx, n);
    else {
      await startDnsmasq(ctx, n);
      if (!report.recreated.includes(n.name)) report.repaired.push(`${n.name} dnsmasq`);
    }
  }
  return report;
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
      await createTap(ctx, a.ifname, aliasFor(ctx, n.name, ownerKey(a.owner)), res?.mac, a.uid);
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
