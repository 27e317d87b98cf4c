import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../../shared/errors.js';
import { killAndWait, pidAlive, processMatches, readPidFile } from '../../sys/proc.js';
import type { NetCtx } from '../context.js';
import { deleteLink, getLink } from '../links.js';

// The WireGuard device itself: the kernel's (`ip link add … type wireguard`) where the kernel
// has it, else a wireguard-go process this engine starts detached (`wireguard-go -f DEV` inside
// the networks' namespace) and whose pid it keeps in <run>/networks/wireguard/DEV.pid.

const dir = (ctx: NetCtx) => join(ctx.runDir, 'wireguard');
const pidFile = (ctx: NetCtx, dev: string) => join(dir(ctx), `${dev}.pid`);
const logFile = (ctx: NetCtx, dev: string) => join(dir(ctx), `${dev}.log`);
/** wireguard-go's control socket: one folder for the whole host, whatever the namespace. */
const socketFile = (dev: string) => `/var/run/wireguard/${dev}.sock`;

export type WgMode = 'kernel' | 'wireguard-go (userspace)';

/** The wireguard-go pid serving `dev`, when it runs (a reused pid is not adopted). */
export async function wgGoPid(ctx: NetCtx, dev: string): Promise<number | undefined> {
  const pid = await readPidFile(pidFile(ctx, dev));
  return pid && pidAlive(pid) && (await processMatches(pid, ['wireguard-go', dev])) ? pid : undefined;
}

export const isUserspace = async (ctx: NetCtx, dev: string) => (await readPidFile(pidFile(ctx, dev))) !== undefined;

/** Creates the device (kernel first, else wireguard-go) and returns how it runs. Nothing is left behind on failure. */
export async function createWgDevice(ctx: NetCtx, dev: string): Promise<WgMode> {
  const k = await ctx.run(['ip', 'link', 'add', 'dev', dev, 'type', 'wireguard'], { allowFailure: true });
  if (k.exitCode === 0) return 'kernel';
  if (!/Unknown device type|not supported|Operation not supported/i.test(k.stderr)) {
    throw new NovaError('INTERNAL', `could not create WireGuard device ${dev}: ${k.stderr.trim()}`);
  }
  await startWireguardGo(ctx, dev);
  return 'wireguard-go (userspace)';
}

async function startWireguardGo(ctx: NetCtx, dev: string): Promise<void> {
  await mkdir(dir(ctx), { recursive: true, mode: 0o700 });
  // A socket left by a wireguard-go killed with -9 would make the new one refuse to start.
  await rm(socketFile(dev), { force: true });
  const log = await open(logFile(ctx, dev), 'w');
  const [cmd, ...args] = ctx.argv(['wireguard-go', '-f', dev]) as [string, ...string[]];
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...process.env, LOG_LEVEL: 'error' } });
  await log.close();
  child.on('error', () => undefined);
  child.unref();
  await writeFile(pidFile(ctx, dev), `${child.pid}\n`);
  const until = Date.now() + 10_000;
  for (;;) {
    if (await getLink(ctx, dev)) return;
    if (child.exitCode !== null || !child.pid || !pidAlive(child.pid) || Date.now() > until) {
      const text = (await readFile(logFile(ctx, dev), 'utf8').catch(() => '')).trim();
      await stopWgDevice(ctx, dev);
      const why = /ENOENT|not found/i.test(text) || (child.exitCode === null && !child.pid) ? 'wireguard-go is not installed (Debian: apt install wireguard-go; Arch: use the kernel module)' : text.split('\n').pop() || 'wireguard-go exited';
      throw new NovaError('HOST_UNSUPPORTED', `WireGuard device ${dev} did not come up: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops wireguard-go (if any) and deletes the device; idempotent. */
export async function stopWgDevice(ctx: NetCtx, dev: string): Promise<void> {
  const pid = await wgGoPid(ctx, dev);
  await deleteLink(ctx, dev); // wireguard-go exits when its TUN goes
  if (pid) await killAndWait(pid);
  if (await readPidFile(pidFile(ctx, dev))) await rm(socketFile(dev), { force: true });
  await rm(pidFile(ctx, dev), { force: true });
  await rm(logFile(ctx, dev), { force: true });
}

/** Alive: the device exists (kernel), or its wireguard-go still runs (userspace). */
export async function wgDeviceAlive(ctx: NetCtx, dev: string): Promise<boolean> {
  if (await isUserspace(ctx, dev)) return (await wgGoPid(ctx, dev)) !== undefined;
  return (await getLink(ctx, dev)) !== undefined;
}
