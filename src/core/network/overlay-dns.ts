import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pidAlive, processMatches, readPidFile } from '../sys/proc.js';
import type { NetCtx } from './context.js';
import { overlayDriver } from './overlay/index.js';
import type { NetworkState } from './store.js';

// Names across the hosts of an overlay (dns = true). Each host's dnsmasq answers its own guests'
// names; the names of the other hosts' guests it asks their "responders": a second, minimal
// dnsmasq per host that serves only that host's hosts file on UDP 5353 at the host's address
// inside the tunnel (so these queries travel encrypted) and refuses every other name. The
// guests' dnsmasq asks all responders at once (--all-servers): the one that knows the name
// answers, the others' REFUSED are ignored. Responders never forward, so nothing can loop.

export const RESPONDER_PORT = 5353;

export interface OverlayDns {
  self: string;
  peers: string[];
}

/** The addresses when this switch is an overlay with DNS whose driver carries names across hosts. */
export async function overlayDns(ctx: NetCtx, n: NetworkState): Promise<OverlayDns | undefined> {
  if (n.spec.type !== 'overlay' || !n.spec.dns) return undefined;
  const d = overlayDriver(n.spec);
  return d.dnsAddresses ? d.dnsAddresses(ctx, n).catch(() => undefined) : undefined;
}

/**
 * The guests' dnsmasq: other hosts' names in the overlay's domain from their responders. Plain
 * names stay local (guests qualify them with the search domain DHCP or Nova gives them):
 * dnsmasq 2.90 refuses names sent to `--server=//ADDR` servers ("config error").
 */
export function forwardArgs(domain: string, od: OverlayDns): string[] {
  return ['--all-servers', ...od.peers.map((p) => `--server=/${domain}/${p}#${RESPONDER_PORT}`)];
}

const dir = (ctx: NetCtx) => join(ctx.runDir, 'overlay-dns');
const pidFile = (ctx: NetCtx, name: string) => join(dir(ctx), `${name}.pid`);

/**
 * --filter-AAAA: a name this host knows has only IPv4 records, and its AAAA query must be answered
 * "no such record" (NODATA), not REFUSED like names it does not know: when every responder
 * refused, the guests' dnsmasq refused the AAAA half of an ordinary lookup (busybox nslookup
 * failed, glibc's getaddrinfo sees an error).
 */
export function responderArgv(ctx: NetCtx, n: NetworkState, od: OverlayDns, hostsFile: string, drop: string[]): string[] {
  return [
    'dnsmasq', '--conf-file=/dev/null', `--port=${RESPONDER_PORT}`, `--listen-address=${od.self}`, '--bind-dynamic', '--no-hosts', '--filter-AAAA', ...drop,
    `--domain=${n.domain}`, '--expand-hosts', `--addn-hosts=${hostsFile}`, '--no-resolv', `--pid-file=${pidFile(ctx, n.name)}`,
  ];
}

export async function responderPid(ctx: NetCtx, name: string): Promise<number | undefined> {
  const pid = await readPidFile(pidFile(ctx, name));
  return pid && pidAlive(pid) && (await processMatches(pid, ['dnsmasq', `--pid-file=${pidFile(ctx, name)}`])) ? pid : undefined;
}

/** Starts the responder, or makes it re-read the hosts file (HUP); stops it when not wanted. */
export async function syncResponder(ctx: NetCtx, n: NetworkState, hostsFile: string, drop: string[], kill: (pid: number) => Promise<void>): Promise<void> {
  const od = await overlayDns(ctx, n);
  const pid = await responderPid(ctx, n.name);
  if (!od) {
    if (pid) await kill(pid);
    return;
  }
  if (pid) {
    process.kill(pid, 'SIGHUP');
    return;
  }
  await mkdir(dir(ctx), { recursive: true });
  await rm(pidFile(ctx, n.name), { force: true });
  await ctx.run(responderArgv(ctx, n, od, hostsFile, drop));
}

export async function stopResponder(ctx: NetCtx, name: string, kill: (pid: number) => Promise<void>): Promise<void> {
  const pid = await responderPid(ctx, name);
  if (pid) await kill(pid);
  await rm(pidFile(ctx, name), { force: true });
}

/** Responders of switches that are gone (hydrate). */
export async function orphanResponders(ctx: NetCtx, declared: Set<string>): Promise<string[]> {
  const files = await readdir(dir(ctx)).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith('.pid') && !declared.has(f.slice(0, -4))).map((f) => f.slice(0, -4));
}
