import { chmodSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile, readdir, rm, rmdir } from 'node:fs/promises';
import { cmdlineMatches, readPidSmall } from '../sys/small-files.js';
import { join } from 'node:path';
import { writeRuntimeFile } from './runtime-file.js';
import { killAndWait, pidAlive, processMatches, readCmdline, readPidFile } from '../sys/proc.js';

export { killAndWait };
import type { NetCtx } from './context.js';
import { parseRange, parseSubnet } from './ipam.js';
import { instanceId } from './owner.js';
import { leaseFile } from './store.js';
import { forwardArgs, overlayDns, stopResponder, syncResponder } from './overlay-dns.js';
import type { OverlayDns } from './overlay-dns.js';
import type { NetworkState } from './store.js';

// One dnsmasq per switch, bound to its bridge only: DHCP (range + static reservations in a
// hosts file re-read on HUP), DNS for every attached VM and capsule and registered records.

/**
 * dnsmasq never runs as root: started by root it drops to an unprivileged user and only then
 * reads its hosts files (also on every HUP), so root keeps them in a world-traversable folder
 * (the names and addresses of guests, as readable as any DHCP lease file).
 */
const isRoot = () => process.getuid?.() === 0;
export const dnsmasqBase = (ctx: NetCtx) => (isRoot() ? join(DNSMASQ_ROOT_BASE, instanceId(ctx)) : ctx.runDir);
const DNSMASQ_ROOT_BASE = '/run/nova/dnsmasq';
export const dnsmasqDir = (ctx: NetCtx, name: string) => join(dnsmasqBase(ctx), name);

let account: string[] | undefined;
/** `--user`/`--group` for a root-started dnsmasq: its own account where the package made one, else nobody. */
function dropTo(): string[] {
  if (!isRoot()) return [];
  if (!account) {
    const names = (file: string) => new Set(readFileSafe(file).split('\n').map((l) => l.split(':')[0]));
    const users = names('/etc/passwd');
    const groups = names('/etc/group');
    const user = users.has('dnsmasq') ? 'dnsmasq' : 'nobody';
    const group = ['dnsmasq', 'nogroup', 'nobody'].find((g) => groups.has(g));
    account = [`--user=${user}`, ...(group ? [`--group=${group}`] : [])];
  }
  return account;
}
const readFileSafe = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

/** The folder chain dnsmasq's unprivileged user must be able to enter. */
function makeDir(ctx: NetCtx, dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (isRoot()) for (const d of [DNSMASQ_ROOT_BASE, dnsmasqBase(ctx), dir]) chmodSync(d, 0o755);
}
const pidFile = (ctx: NetCtx, name: string) => join(dnsmasqDir(ctx, name), 'dnsmasq.pid');
const hostsFile = (ctx: NetCtx, name: string) => join(dnsmasqDir(ctx, name), 'hosts');
const dhcpHostsFile = (ctx: NetCtx, name: string) => join(dnsmasqDir(ctx, name), 'dhcp-hosts');

export const needsDnsmasq = (n: NetworkState): boolean => Boolean(n.subnet) && (Boolean(n.dhcpRange) || n.spec.dns);

/** `od`: an overlay whose other hosts' names come from their responders (overlay-dns.ts). */
export function dnsmasqArgv(ctx: NetCtx, n: NetworkState, od?: OverlayDns): string[] {
  const s = parseSubnet(n.subnet!);
  const across = od && od.peers.length ? forwardArgs(n.domain, od) : undefined;
  const argv = [
    'dnsmasq', '--conf-file=/dev/null', `--interface=${n.name}`, '--bind-interfaces', '--except-interface=lo',
    '--no-hosts', ...dropTo(), `--domain=${n.domain}`, ...(across ?? [`--local=/${n.domain}/`]), '--local=//', '--domain-needed', '--expand-hosts',
    `--pid-file=${pidFile(ctx, n.name)}`, `--addn-hosts=${hostsFile(ctx, n.name)}`, '--no-ping',
  ];
  // Unqualified and switch-domain names are answered here only; a nat/external switch forwards
  // everything else to the host's resolvers, an isolated one has no upstream at all.
  const isolated = (n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat')) === 'isolated';
  if (isolated) argv.push('--no-resolv');
  if (!n.spec.dns) argv.push('--port=0');
  if (n.dhcpRange) {
    const [a, b] = parseRange(n.dhcpRange);
    // An overlay's segment has a dnsmasq per host: each answers only its own guests' MACs
    // (static mode), or they would race to lease each other's guests.
    const range = n.spec.type === 'overlay' ? `${a},static` : `${a},${b}`;
    argv.push(`--dhcp-range=${range},${prefixMask(s.prefix)},1h`, ...(n.spec.type === 'overlay' ? [] : ['--dhcp-authoritative']), `--dhcp-leasefile=${leaseFile(ctx, n.name)}`, `--dhcp-hostsfile=${dhcpHostsFile(ctx, n.name)}`);
    if (isolated) argv.push('--dhcp-option=3');
  }
  for (const r of n.records) if (r.service && r.port) argv.push(`--srv-host=${r.service}.${n.domain},${r.target ?? r.name},${r.port}`);
  return argv;
}

const prefixMask = (p: number) => [24, 16, 8, 0].map((sh) => Math.floor(((2 ** 32 - 2 ** (32 - p)) / 2 ** sh)) % 256).join('.');

/** Writes the hosts files dnsmasq reads (addresses of owners and records). */
export async function writeHostFiles(ctx: NetCtx, n: NetworkState): Promise<void> {
  makeDir(ctx, dnsmasqDir(ctx, n.name));
  const hosts = [
    ...n.reservations.filter((r) => r.ip && r.attached).map((r) => `${r.ip} ${r.hostname}.${n.domain} ${r.hostname}`),
    ...n.records.filter((r) => r.ip).map((r) => `${r.ip} ${r.name}.${n.domain} ${r.name}`),
  ];
  await writeRuntimeFile(hostsFile(ctx, n.name), hosts.join('\n') + '\n');
  // Attached VMs only, like the names above: a VM that moved to another host keeps its address
  // reserved here (nobody else gets it) but this dnsmasq no longer answers for it.
  const dhcp = n.reservations.filter((r) => r.ip && r.attached && r.key.startsWith('vm:')).map((r) => `${r.mac},${r.ip},${r.hostname}`);
  await writeRuntimeFile(dhcpHostsFile(ctx, n.name), dhcp.join('\n') + '\n');
}

/** The running dnsmasq of a switch, trusted only when its cmdline names our pid file. */
export async function dnsmasqPid(ctx: NetCtx, name: string): Promise<number | undefined> {
  const pid = readPidSmall(pidFile(ctx, name));
  if (!pid || !pidAlive(pid)) return undefined;
  return cmdlineMatches(pid, ['dnsmasq', `--pid-file=${pidFile(ctx, name)}`]) ? pid : undefined;
}

export async function startDnsmasq(ctx: NetCtx, n: NetworkState): Promise<number> {
  await writeHostFiles(ctx, n);
  rmSync(pidFile(ctx, n.name), { force: true });
  await ctx.run(dnsmasqArgv(ctx, n, await overlayDns(ctx, n))); // daemonizes after binding: errors surface here
  const pid = readPidSmall(pidFile(ctx, n.name));
  if (!pid) throw new Error(`dnsmasq for ${n.name} started but wrote no pid file`);
  await syncResponder(ctx, n, hostsFile(ctx, n.name), dropTo(), killAndWait);
  return pid;
}

/** Hydrate: the overlay responder back when it died (hosts files already written). */
export const ensureResponder = (ctx: NetCtx, n: NetworkState) => syncResponder(ctx, n, hostsFile(ctx, n.name), dropTo(), killAndWait);

/**
 * `starting`: also any dnsmasq of this switch not yet in its pid file. A create killed while its
 * dnsmasq was still daemonizing leaves one that writes its pid file into the folder being removed;
 * an interrupted create's rollback looks for it in /proc (a normal stop does not pay that scan).
 */
export async function stopDnsmasq(ctx: NetCtx, name: string, starting = false): Promise<void> {
  const pid = await dnsmasqPid(ctx, name);
  if (pid) await killAndWait(pid);
  if (starting) await killStarting(ctx, name);
  await stopResponder(ctx, name, killAndWait);
  await removeDnsmasqDir(ctx, name);
}

/** Until a /proc scan finds none: a parent killed after its fork has its child listed by then. */
async function killStarting(ctx: NetCtx, name: string): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const left = (await ourDnsmasqs(ctx)).filter((p) => p.network === name);
    if (!left.length) return;
    await Promise.all(left.map((p) => killAndWait(p.pid)));
  }
}

/** The switch's folder, and root's per-engine folder above it once no switch of it is left. */
export async function removeDnsmasqDir(ctx: NetCtx, name: string): Promise<void> {
  await rm(dnsmasqDir(ctx, name), { recursive: true, force: true });
  if (!isRoot()) return; // a user's folder is their network runtime folder itself
  await rmdir(dnsmasqBase(ctx)).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST' && e.code !== 'ENOENT') throw e;
  });
}

/** Re-reads hosts files (HUP); restarts when the argv changed (SRV records) or it is dead. */
export async function reloadDnsmasq(ctx: NetCtx, n: NetworkState): Promise<void> {
  const pid = await dnsmasqPid(ctx, n.name);
  if (!pid) {
    await startDnsmasq(ctx, n);
    return;
  }
  const current = (await readCmdline(pid)) ?? [];
  if (current.slice(1).join('\0') !== dnsmasqArgv(ctx, n, await overlayDns(ctx, n)).slice(1).join('\0')) {
    await killAndWait(pid);
    await startDnsmasq(ctx, n);
    return;
  }
  await writeHostFiles(ctx, n);
  process.kill(pid, 'SIGHUP');
  await syncResponder(ctx, n, hostsFile(ctx, n.name), dropTo(), killAndWait);
}

/** dnsmasq processes started from this engine's runtime dir, by network name (for orphan sweeps). */
export async function ourDnsmasqs(ctx: NetCtx): Promise<{ pid: number; network: string }[]> {
  const prefix = `--pid-file=${dnsmasqBase(ctx)}/`;
  const out: { pid: number; network: string }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readCmdline(Number(entry));
    if (!argv || !argv[0]?.endsWith('dnsmasq')) continue;
    const pf = argv.find((a) => a.startsWith(prefix));
    if (pf) out.push({ pid: Number(entry), network: pf.slice(prefix.length).split('/')[0]! });
  }
  return out;
}

export interface Lease {
  expires: number;
  mac: string;
  ip: string;
  hostname?: string;
}

export async function readLeases(ctx: NetCtx, name: string): Promise<Lease[]> {
  const text = await readFile(leaseFile(ctx, name), 'utf8').catch(() => '');
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 4)
    .map(([exp, mac, ip, host]) => ({ expires: Number(exp) * 1000, mac: mac!, ip: ip!, ...(host && host !== '*' ? { hostname: host } : {}) }));
}
