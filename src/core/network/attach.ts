import { access } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { NetworkOwner } from '../../shared/contract/network.js';
import { crashPoint } from '../sys/crash-point.js';
import { withReverter } from '../sys/reverter.js';
import { clearIntent, recordIntent, rollBackInterrupted } from './intents.js';
import type { Intent } from './intents.js';
import type { NetCtx } from './context.js';
import { needsDnsmasq, reloadDnsmasq } from './dnsmasq.js';
import { allocate, ipToInt, ownerKey, parseSubnet, stableMac } from './ipam.js';
import { createTap, createVeth, deleteLink, getLink, setMaster, setUp } from './links.js';
import { aliasFor, tapName, vethName, vethPeerTmp } from './owner.js';
import { applyNft, profileOf } from './apply.js';
import { overlayMtu } from './overlay.js';
import { addForwards, checkForwards } from './forwards.js';
import type { AttachmentState, NetworkState } from './store.js';
import { loadAll, loadNetwork, saveNetwork } from './store.js';

// Attachments: a TAP per VM NIC (QEMU opens it with script=no), a veth per capsule whose peer is
// moved into the capsule's netns and given its static IPAM address. Re-attaching the same owner
// returns the same MAC and IP.

export interface AttachInput {
  network: string;
  owner: NetworkOwner;
  netns?: string;
  mac?: string;
  /** Keep this address (a VM moving in from another host): taken when free in the subnet. */
  ip?: string;
  peer?: string;
  ports: string[];
  /** A VM's TAP opened by this uid's QEMU (`nova privd` passes its caller). */
  tapUser?: number;
}

export interface AttachResult {
  ifname: string;
  mac: string;
  ip?: string;
  gateway?: string;
  prefix?: number;
  dns?: string[];
  domain?: string;
  peer?: string;
  /** The segment's MTU when set (overlays): the guest's NIC must use it. */
  mtu?: number;
}

/** The MTU of a switch's L2 segment when it is set (overlays: the tunnel's headers must fit the underlay). */
const segmentMtu = (n: NetworkState): number | undefined => (n.spec.type === 'overlay' ? overlayMtu(n.spec) : n.spec.mtu);

export async function requireNetwork(ctx: NetCtx, name: string): Promise<NetworkState> {
  const n = await loadNetwork(ctx, name);
  if (!n) throw new NovaError('NOT_FOUND', `no network named "${name}" (see \`nova net ls\`, or create it with \`nova net create ${name}\`)`);
  return n;
}

export async function attach(ctx: NetCtx, input: AttachInput): Promise<AttachResult> {
  const { owner } = input;
  const key = ownerKey(owner);
  await rollBackInterrupted(ctx, (i) => i.op === 'attach' && i.network === input.network && ownerKey(i.owner) === key);
  const n = await requireNetwork(ctx, input.network);
  checkForwards(await loadAll(ctx), n, owner, input.ports);
  if (owner.kind === 'capsule' && !input.netns) throw new NovaError('INVALID_INPUT', 'netns is required for a capsule: pass the path of its network namespace (e.g. /proc/<pid>/ns/net)', { field: 'netns' });
  if (owner.kind === 'vm' && input.netns) throw new NovaError('INVALID_INPUT', 'netns is only for capsules; a VM gets a TAP', { field: 'netns' });
  if (input.netns && !(await access(input.netns).then(() => true, () => false))) {
    throw new NovaError('INVALID_INPUT', `netns ${input.netns} does not exist: create the namespace first (ip netns add NAME → /run/netns/NAME)`, { field: 'netns' });
  }
  const s = n.subnet ? parseSubnet(n.subnet) : undefined;
  let res = n.reservations.find((r) => r.key === key);
  if (!res) {
    res = { key, mac: input.mac ?? stableMac(n.name, key), hostname: owner.name, attached: false, at: ctx.now() };
    n.reservations.push(res);
  }
  if (input.mac) res.mac = input.mac.toLowerCase();
  if (s && input.ip && res.ip !== input.ip) res.ip = keptAddress(n, s, key, input.ip);
  if (s && !res.ip) res.ip = allocate(s, n.dhcpRange, n.reservations, key, [], n.spec.type === 'overlay');
  const result: AttachResult = {
    ifname: owner.kind === 'vm' ? tapName(n.name, key) : vethName(n.name, key),
    mac: res.mac,
    ...(res.ip && s ? { ip: res.ip, prefix: s.prefix, gateway: s.gateway } : {}),
    ...(s && n.spec.dns ? { dns: [s.gateway], domain: n.domain } : {}),
    ...(owner.kind === 'capsule' ? { peer: input.peer ?? 'eth0' } : {}),
    ...(segmentMtu(n) ? { mtu: segmentMtu(n)! } : {}),
  };
  const existing = n.attachments.find((a) => ownerKey(a.owner) === key);
  const live = await getLink(ctx, result.ifname);
  if (existing && live && existing.netns === input.netns && existing.uid === input.tapUser && live.master === n.name) {
    await saveNetwork(ctx, n);
    if (input.ports.length) await addForwards(ctx, n.name, owner, input.ports);
    return result;
  }
  if (live) await deleteLink(ctx, result.ifname);
  const intent: Intent = { op: 'attach', network: n.name, owner, ifname: result.ifname };
  await recordIntent(ctx, intent); // before the link exists: a kill -9 from here on is rolled back
  const step = (what: string) => crashPoint(`net attach ${owner.kind} ${owner.name}: ${what}`);
  await withReverter(async (r) => {
    r.add(() => clearIntent(ctx, intent), 'intent');
    step('intent recorded');
    // Overlays: the guest's NIC gets the segment's MTU (the tunnel's headers must fit the underlay).
    const mtu = segmentMtu(n);
    if (owner.kind === 'vm') {
      await createTap(ctx, result.ifname, aliasFor(ctx, n.name, key), res.mac, input.tapUser, mtu);
    } else {
      await createVeth(ctx, result.ifname, vethPeerTmp(n.name, key), aliasFor(ctx, n.name, key), res.mac, mtu);
    }
    r.add(() => deleteLink(ctx, result.ifname), 'link');
    step('link made');
    await setMaster(ctx, result.ifname, n.name);
    await setUp(ctx, result.ifname);
    step('link on the bridge');
    if (owner.kind === 'capsule') await configurePeer(ctx, n, input.netns!, vethPeerTmp(n.name, key), result, step);
    const att: AttachmentState = { owner, ifname: result.ifname, kind: owner.kind === 'vm' ? 'tap' : 'veth', ...(input.netns ? { netns: input.netns, peer: result.peer } : {}), ...(input.tapUser !== undefined ? { uid: input.tapUser } : {}) };
    n.attachments = [...n.attachments.filter((a) => ownerKey(a.owner) !== key), att];
    res.attached = true;
    res.at = ctx.now();
    await saveNetwork(ctx, n);
    step('state saved');
    if (needsDnsmasq(n)) await reloadDnsmasq(ctx, n);
    step('dnsmasq reloaded');
  });
  await clearIntent(ctx, intent);
  if (input.ports.length) await addForwards(ctx, n.name, owner, input.ports);
  else if (n.forwards.some((f) => ownerKey(f.owner) === key)) await applyNft(ctx);
  return result;
}

/** `ip` for `key` on this switch: inside its subnet, not the gateway, no other owner's. */
function keptAddress(n: NetworkState, s: ReturnType<typeof parseSubnet>, key: string, ip: string): string {
  const at = ipToInt(ip);
  if (at <= s.network || at >= s.broadcast || ip === s.gateway) throw new NovaError('CONFLICT', `address ${ip} is not a host address of network "${n.name}" (${s.cidr}, gateway ${s.gateway})`, { field: 'ip' });
  const other = n.reservations.find((r) => r.ip === ip && r.key !== key);
  if (other) throw new NovaError('CONFLICT', `address ${ip} on network "${n.name}" is ${other.key.replace(':', ' ')}'s here`, { field: 'ip' });
  return ip;
}

/** Moves the peer into the capsule's netns, names it, addresses it and routes via the gateway. */
async function configurePeer(ctx: NetCtx, n: NetworkState, netns: string, tmp: string, r: AttachResult, step: (what: string) => void): Promise<void> {
  await ctx.run(['ip', 'link', 'set', 'dev', tmp, 'netns', netns]);
  step('peer moved into the netns');
  const inNs = (argv: string[]) => ctx.run(['nsenter', `--net=${netns}`, ...argv]);
  await inNs(['ip', 'link', 'set', 'dev', tmp, 'name', r.peer!]);
  if (r.ip) await inNs(['ip', 'addr', 'add', `${r.ip}/${r.prefix}`, 'dev', r.peer!]);
  await inNs(['ip', 'link', 'set', 'dev', r.peer!, 'up']);
  await inNs(['ip', 'link', 'set', 'dev', 'lo', 'up']);
  if (r.gateway && profileOf(n) === 'nat') await inNs(['ip', 'route', 'replace', 'default', 'via', r.gateway, 'dev', r.peer!]);
}

export async function detach(ctx: NetCtx, network: string, owner: NetworkOwner, release: boolean): Promise<void> {
  const key = ownerKey(owner);
  // An attach of this owner killed mid-way: its link may exist without being recorded.
  const interrupted = await rollBackInterrupted(ctx, (i) => i.op === 'attach' && i.network === network && ownerKey(i.owner) === key);
  const n = await requireNetwork(ctx, network);
  const att = n.attachments.find((a) => ownerKey(a.owner) === key);
  const res = n.reservations.find((r) => r.key === key);
  if (!att && !res && interrupted.length) return;
  if (!att && !res) throw new NovaError('NOT_FOUND', `${owner.kind} "${owner.name}" is not attached to network "${network}"`);
  if (att) await deleteLink(ctx, att.ifname);
  n.attachments = n.attachments.filter((a) => ownerKey(a.owner) !== key);
  n.forwards = n.forwards.filter((f) => ownerKey(f.owner) !== key);
  if (release) n.reservations = n.reservations.filter((r) => r.key !== key);
  else if (res) {
    res.attached = false;
    res.at = ctx.now();
  }
  await saveNetwork(ctx, n);
  if (needsDnsmasq(n)) await reloadDnsmasq(ctx, n);
  await applyNft(ctx);
}
