import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { NovaError } from '../../shared/errors.js';
import type { NetworkInfo } from '../../shared/contract/network.js';
import { networkSpec } from '../../shared/schemas/novafile.js';
import type { z } from 'zod';
import { crashPoint } from '../sys/crash-point.js';
import { withReverter } from '../sys/reverter.js';
import { clearIntent, recordIntent, rollBackInterrupted } from './intents.js';
import type { Intent } from './intents.js';
import type { NetCtx } from './context.js';
import { dnsmasqPid, needsDnsmasq, reloadDnsmasq, startDnsmasq, stopDnsmasq } from './dnsmasq.js';
import { checkRange, defaultRange, overlayBlock, intToIp, overlaps, parseSubnet, stableMac } from './ipam.js';
import type { Link } from './links.js';
import { bridgeLines, deleteLink, deleteOwnLink, ipBatch, linksAndRoutes, listLinks } from './links.js';
import { releaseUplink, takeOverUplink } from './uplink.js';
import { readRules } from './nft.js';
import type { LiveRule, NftRule } from './nft.js';
import { aliasFor } from './owner.js';
import { applyForwarding, applyNft, factsFrom, profileOf, rulesFor } from './apply.js';
import { overlayDriver } from './overlay/index.js';
import { checkOverlayDriver, createOverlayLink, overlayMtu, overlayProblems, overlayStatus, removeOverlayLink } from './overlay.js';
import type { NetworkState } from './store.js';
import { declarationProblem, deleteNetworkFile, loadAll, loadNetwork, saveNetwork, stageNetwork } from './store.js';

// Switches: validate, create under a Reverter, remove, and derive their state from the host.

const invalid = (field: string, message: string) => new NovaError('INVALID_INPUT', message, { field });

/** Checks everything that can be checked before touching the host; returns the effective addressing. */
type HostRoute = { dst: string; dev?: string };

export async function plan(ctx: NetCtx, name: string, specIn: z.input<typeof networkSpec>, links: Link[], hostRoutes: HostRoute[]): Promise<Pick<NetworkState, 'spec' | 'subnet' | 'dhcpRange' | 'domain'>> {
  const spec = networkSpec.parse(specIn);
  if (spec.type === 'overlay') await checkOverlayDriver(ctx, name, spec);
  const profile = spec.profile ?? (spec.type === 'overlay' ? 'isolated' : 'nat');
  const names = links.map((l) => l.ifname);
  for (const [field, iface] of [['uplink', spec.uplink], ...spec.interfaces.map((i) => ['interfaces', i])] as [string, string | undefined][]) {
    if (iface && !names.includes(iface)) {
      throw invalid(field, `${field} "${iface}" does not exist on this host; pick one of: ${names.filter((n) => n !== 'lo').join(', ') || '(none)'}`);
    }
  }
  if (names.includes(name)) throw new NovaError('CONFLICT', `an interface named "${name}" already exists on this host: choose another network name`, { field: 'name' });
  const others = (await loadAll(ctx)).filter((n) => n.subnet);
  let subnet = spec.subnet;
  if (!subnet && profile !== 'external') subnet = freeSubnet(others, hostRoutes);
  let dhcpRange: string | undefined;
  if (subnet) {
    const s = parseSubnet(subnet);
    if (s.gateway === intToIp(s.network) || s.gateway === intToIp(s.broadcast)) {
      throw invalid('subnet', `subnet ${subnet}: the address is the gateway, not the network; write e.g. "${intToIp(s.network + 1)}/${s.prefix}"`);
    }
    const clash = others.find((o) => overlaps(parseSubnet(o.subnet!), s));
    if (clash) throw invalid('subnet', `subnet ${subnet} overlaps network "${clash.name}" (${clash.subnet}): pick a free range such as 10.213.x.1/24`);
    for (const r of hostRoutes) {
      if (!r.dst || r.dst === 'default' || !r.dst.includes('/')) continue;
      if (overlaps(parseSubnet(r.dst), s)) throw invalid('subnet', `subnet ${subnet} overlaps the host route ${r.dst} on ${r.dev}: pick a free range`);
    }
    if (spec.dhcp_range) checkRange(s, spec.dhcp_range);
    const block = spec.type === 'overlay' ? overlayBlock(s) : undefined;
    dhcpRange = spec.dhcp_range ?? block ?? (profile === 'external' ? undefined : defaultRange(s));
  } else if (spec.dhcp_range) {
    throw invalid('dhcp_range', 'dhcp_range needs subnet = "192.168.220.1/24" (the bridge address)');
  }
  return { spec, ...(subnet ? { subnet } : {}), ...(dhcpRange ? { dhcpRange } : {}), domain: spec.domain ?? `${name}.nova` };
}

function freeSubnet(others: NetworkState[], hostRoutes: HostRoute[]): string {
  const taken = [...others.map((o) => parseSubnet(o.subnet!)), ...hostRoutes.filter((r) => r.dst?.includes('/')).map((r) => parseSubnet(r.dst))];
  for (let i = 100; i < 255; i++) {
    const cand = `192.168.${i}.1/24`;
    if (!taken.some((t) => overlaps(t, parseSubnet(cand)))) return cand;
  }
  throw invalid('subnet', 'no free 192.168.x.0/24 left: give subnet = "10.x.y.1/24"');
}

/** A created switch, with the host view its own successful commands establish (none: read it). */
export interface Created {
  state: NetworkState;
  view?: HostView;
}

/** Creates the bridge (or overlay), addresses, forwarding, rules and dnsmasq; all undone on failure. */
export async function createSwitch(ctx: NetCtx, name: string, specIn: z.input<typeof networkSpec>, project?: string): Promise<Created> {
  // A create of this name killed mid-way: undo it first, so the retry is not a false CONFLICT.
  // The host read runs while the files are checked; read again if a rollback changed the host.
  const read = linksAndRoutes(ctx);
  read.catch(() => undefined);
  const undone = await rollBackInterrupted(ctx, (i) => i.op === 'create' && i.network.name === name);
  if (await loadNetwork(ctx, name)) throw new NovaError('CONFLICT', `network "${name}" already exists: \`nova net rm ${name}\` first or pick another name`);
  const { links, routes: hostRoutes } = undone.some((u) => !u.startsWith('file ')) ? await linksAndRoutes(ctx) : await read;
  const planned = await plan(ctx, name, specIn, links, hostRoutes);
  const state: NetworkState = { version: 1, name, ...(project ? { project } : {}), createdAt: ctx.now(), ...planned, reservations: [], attachments: [], forwards: [], records: [] };
  const intent: Intent = { op: 'create', network: state };
  // The declaration's temp file is written and fsynced while the bridge comes up; it is renamed
  // into place at the same step as before and durable before create returns.
  const staged = stageNetwork(ctx, state);
  await recordIntent(ctx, intent); // before anything exists on the host
  const step = (what: string) => crashPoint(`net create ${name}: ${what}`);
  let applied: NftRule[] = [];
  let fresh = false;
  try {
    await withReverter(async (r) => {
      r.add(() => clearIntent(ctx, intent), 'intent');
      step('intent recorded');
      // The rules name interfaces, not links: the table is applied while the bridge comes up.
      r.add(async () => {
        await deleteNetworkFile(ctx, name);
        await applyNft(ctx);
      }, 'state');
      const withThis = [...(await loadAll(ctx)).filter((o) => o.name !== name), state].sort((a, b) => a.name.localeCompare(b.name));
      const rules = async () => {
        applied = await applyNft(ctx, withThis);
        step('rules applied');
      };
      const bridge = async () => {
        await bringUpBridge(ctx, state, (undo) => r.add(undo), () => recordIntent(ctx, intent).then(() => step('uplink recorded')));
        step('bridge up');
        // Uplinks record what they carried into the state: then the staged copy is stale.
        const save = async () => {
          fresh = `${JSON.stringify(state, null, 2)}\n` === staged.json;
          if (fresh) await staged.commit();
          else await saveNetwork(ctx, state);
          step('state saved');
        };
        // All need the bridge, none needs another (the rules were given the switch, not the file).
        const forwarding = async () => {
          await applyForwarding(ctx, [state], factsFrom(links, hostRoutes));
          step('forwarding on');
        };
        const dns = async () => {
          if (!needsDnsmasq(state)) return;
          r.add(() => stopDnsmasq(ctx, name), 'dnsmasq');
          await startDnsmasq(ctx, state);
          step('dnsmasq started');
        };
        await allSettledOrThrow([save(), forwarding(), dns()]);
      };
      // Every branch settles before a failure is thrown, so the undos never race a step in flight.
      await allSettledOrThrow([bridge(), rules()]);
      if (fresh) await staged.synced();
    });
  } finally {
    await staged.discard();
  }
  await clearIntent(ctx, intent);
  return { state, ...(plainBridge(state) ? { view: createdView(ctx, state, links, applied) } : {}) };
}

/** Awaits every step, then throws the first failure (none is left running behind a throw). */
export async function allSettledOrThrow(steps: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(steps)).find((x) => x.status === 'rejected');
  if (failed) throw failed.reason;
}

/** No overlay, uplink or enslaved interface: create's own commands say all there is to know. */
export const plainBridge = (n: NetworkState) => n.spec.type !== 'overlay' && attachedUplinks(n).length === 0;

/**
 * The host as create left it, from the commands that succeeded (ip -batch made the bridge with
 * its alias, address and UP; nft -f applied `applied` atomically) and the links read before:
 * no second read of what was just written. dnsmasq is still checked by its pid file.
 */
function createdView(ctx: NetCtx, n: NetworkState, before: Link[], applied: NftRule[]): HostView {
  return {
    links: new Map([...before.map((l) => [l.ifname, l] as const), [n.name, bridgeLink(ctx, n)]]),
    rules: applied.map((r, handle) => ({ chain: r.chain, handle, comment: r.comment })),
  };
}

/** A plain bridge as `bridgeLinesFor` makes it: alias, gateway address, UP. */
export function bridgeLink(ctx: NetCtx, n: NetworkState): Link {
  const s = n.subnet ? parseSubnet(n.subnet) : undefined;
  return {
    ifname: n.name, ifindex: 0, flags: ['BROADCAST', 'MULTICAST', 'UP'], operstate: 'UNKNOWN', kind: 'bridge', ifalias: aliasFor(ctx, n.name),
    addrs: s ? [{ local: s.gateway, prefixlen: s.prefix }] : [],
  };
}

/** Bridge + address + uplinks/overlay + up. `undo` receives the reversal of each step. */
export async function bringUpBridge(ctx: NetCtx, n: NetworkState, undo: (fn: () => Promise<void>) => void, beforeUplinkMoves?: () => Promise<void>): Promise<void> {
  undo(() => deleteOwnLink(ctx, n.name, aliasFor(ctx, n.name)));
  await ipBatch(ctx, bridgeLinesFor(ctx, n));
  if (n.spec.type === 'overlay') {
    undo(() => removeOverlayLink(ctx, n));
    await createOverlayLink(ctx, n, undo);
  }
  for (const iface of attachedUplinks(n)) undo(await takeOverUplink(ctx, n, iface, beforeUplinkMoves));
}

/** The `ip -batch` lines of a switch's bridge: fixed MAC, alias, gateway address, up. */
export function bridgeLinesFor(ctx: NetCtx, n: NetworkState): string[][] {
  const s = n.subnet ? parseSubnet(n.subnet) : undefined;
  const mac = stableMac(n.name, `bridge:${n.subnet ?? ''}:${hostIdentity()}`);
  return bridgeLines(n.name, aliasFor(ctx, n.name), mac, { mtu: n.spec.type === 'overlay' ? overlayMtu(n.spec) : n.spec.mtu, ...(s ? { cidr: `${s.gateway}/${s.prefix}` } : {}) });
}

/** Host interfaces enslaved to the bridge: the uplink of an external switch plus `interfaces`. */
export const attachedUplinks = (n: NetworkState): string[] => [...(profileOf(n) === 'external' && n.spec.uplink ? [n.spec.uplink] : []), ...n.spec.interfaces];

export async function removeSwitch(ctx: NetCtx, name: string, force = false): Promise<void> {
  const n = await loadNetwork(ctx, name);
  if (!n) throw new NovaError('NOT_FOUND', `no network named "${name}" (see \`nova net ls\`)`);
  if (!force && n.attachments.length) {
    const links = new Set((await listLinks(ctx)).map((l) => l.ifname));
    const busy = n.attachments.filter((a) => links.has(a.ifname)).map((a) => `${a.owner.kind} ${a.owner.name}`);
    if (busy.length) throw new NovaError('CONFLICT', `network "${name}" is in use by ${busy.join(', ')}: stop or detach them first, or remove it anyway with --force`, { attached: busy });
  }
  await stopDnsmasq(ctx, name);
  for (const a of n.attachments) await deleteLink(ctx, a.ifname);
  for (const iface of attachedUplinks(n)) await releaseUplink(ctx, n, iface);
  if (n.spec.type === 'overlay') await removeOverlayLink(ctx, n);
  await deleteLink(ctx, name);
  await deleteNetworkFile(ctx, name);
  await applyNft(ctx);
}

export interface HostView {
  links: Map<string, Link>;
  rules: LiveRule[];
}

export async function hostView(ctx: NetCtx): Promise<HostView> {
  const [links, rules] = await Promise.all([listLinks(ctx), readRules(ctx)]);
  return { links: new Map(links.map((l) => [l.ifname, l])), rules };
}

/** Active / Degraded / Down with the reasons, derived from the host every time. */
export async function deriveState(ctx: NetCtx, n: NetworkState, view: HostView): Promise<{ state: 'Active' | 'Degraded' | 'Down'; reason?: string }> {
  const br = view.links.get(n.name);
  if (!br) return { state: 'Down', reason: 'bridge missing' };
  if (!br.flags.includes('UP')) return { state: 'Down', reason: 'bridge is down' };
  const problems: string[] = [];
  const invalid = declarationProblem(n);
  if (invalid) problems.push(invalid);
  if (n.subnet && !br.addrs.some((a) => a.local === parseSubnet(n.subnet!).gateway)) problems.push('gateway address missing');
  if (needsDnsmasq(n) && !(await dnsmasqPid(ctx, n.name))) problems.push('dnsmasq dead');
  const live = new Set(view.rules.map((r) => r.comment));
  const missing = rulesFor([n]).filter((r) => !live.has(r.comment));
  if (missing.length) problems.push(profileOf(n) === 'nat' ? 'NAT rules missing' : 'isolation rules missing');
  if (n.spec.uplink && !view.links.has(n.spec.uplink)) problems.push(`uplink ${n.spec.uplink} absent`);
  for (const u of attachedUplinks(n)) if (view.links.has(u) && view.links.get(u)!.master !== n.name) problems.push(`uplink ${u} not attached`);
  if (n.spec.type === 'overlay') problems.push(...(await overlayProblems(ctx, n, view.links)));
  return problems.length ? { state: 'Degraded', reason: problems.join('; ') } : { state: 'Active' };
}

export async function toInfo(ctx: NetCtx, n: NetworkState, view: HostView): Promise<NetworkInfo> {
  const [st, overlay] = await Promise.all([deriveState(ctx, n, view), n.spec.type === 'overlay' ? overlayStatus(ctx, n).catch(() => undefined) : undefined]);
  const attachments = n.attachments.map((a) => {
    const res = n.reservations.find((r) => r.key === `${a.owner.kind}:${a.owner.name}`);
    const link = view.links.get(a.ifname);
    // LOWER_UP (no NO-CARRIER): a TAP whose QEMU has it open, a veth whose peer is up.
    const carrier = link ? link.flags.includes('LOWER_UP') && !link.flags.includes('NO-CARRIER') : undefined;
    return {
      owner: a.owner, ifname: a.ifname, mac: res?.mac ?? '', ...(res?.ip ? { ip: res.ip } : {}), attached: Boolean(link),
      ...(link ? { carrier, operstate: link.operstate } : {}),
      ...(a.netns ? { netns: a.netns } : {}),
    };
  });
  return {
    name: n.name,
    ...(n.project ? { project: n.project } : {}),
    spec: n.spec,
    ...st,
    bridge: n.name,
    ...(n.subnet ? { subnet: n.subnet, gateway: parseSubnet(n.subnet).gateway } : {}),
    ...(n.dhcpRange ? { dhcpRange: n.dhcpRange } : {}),
    domain: n.domain,
    attached: attachments.filter((a) => a.attached).length,
    attachments,
    forwards: n.forwards.map((f) => ({ ...f, ...(targetIp(n, f.owner) ? { target: targetIp(n, f.owner) } : {}) })),
    records: n.records,
    createdAt: n.createdAt,
    ...(overlay ? { overlay } : {}),
  };
}

const targetIp = (n: NetworkState, o: { kind: string; name: string }) => n.reservations.find((r) => r.key === `${o.kind}:${o.name}`)?.ip;

let identity: string | undefined;
/** Distinguishes hosts on one overlay (same switch name, different bridge MACs). */
function hostIdentity(): string {
  if (identity === undefined) {
    try {
      identity = readFileSync('/etc/machine-id', 'utf8').trim();
    } catch {
      identity = hostname();
    }
  }
  return identity;
}

/** Fields `network.update` changes in place (peers: overlays); any other difference needs a new switch. */
export const UPDATABLE = ['dns', 'domain', 'dhcp_range', 'peers'] as const;

export async function updateSwitch(ctx: NetCtx, name: string, specIn: z.input<typeof networkSpec>, project?: string): Promise<NetworkState> {
  const n = await loadNetwork(ctx, name);
  if (!n) throw new NovaError('NOT_FOUND', `no network named "${name}" (see \`nova net ls\`)`);
  const spec = networkSpec.parse(specIn);
  const fixed = Object.keys({ ...n.spec, ...spec }).filter((k) => !(UPDATABLE as readonly string[]).includes(k));
  const changed = fixed.filter((k) => JSON.stringify((n.spec as Record<string, unknown>)[k]) !== JSON.stringify((spec as Record<string, unknown>)[k]));
  if (changed.length) {
    throw new NovaError('INVALID_INPUT', `${changed.join(', ')} cannot change in place (only ${UPDATABLE.join(', ')}): remove and recreate network "${name}"`, { field: changed[0] });
  }
  if (spec.dhcp_range !== undefined) {
    if (!n.subnet) throw invalid('dhcp_range', 'dhcp_range needs subnet = "192.168.220.1/24" (the bridge address)');
    checkRange(parseSubnet(n.subnet), spec.dhcp_range);
  }
  const peersChanged = JSON.stringify(n.spec.peers) !== JSON.stringify(spec.peers);
  if (peersChanged) await checkOverlayDriver(ctx, name, spec);
  const old = structuredClone(n);
  // Peers first (checked above: nothing changes on a bad peer), then the declaration.
  if (peersChanged) {
    const d = overlayDriver(spec);
    if (!d.setPeers) throw new NovaError('INVALID_INPUT', `driver "${d.name}" cannot change peers in place: remove and recreate network "${name}"`, { field: 'peers' });
    await d.setPeers(ctx, old, spec);
  }
  n.spec = spec;
  n.domain = spec.domain ?? `${name}.nova`;
  if (spec.dhcp_range) n.dhcpRange = spec.dhcp_range;
  if (project !== undefined) n.project = project;
  // The host first, the declaration after: a change dnsmasq refuses is not saved.
  try {
    if (needsDnsmasq(n)) await reloadDnsmasq(ctx, n);
    else if (needsDnsmasq(old)) await stopDnsmasq(ctx, name);
  } catch (e) {
    if (needsDnsmasq(old)) await reloadDnsmasq(ctx, old).catch(() => undefined);
    throw e;
  }
  await saveNetwork(ctx, n);
  return n;
}
