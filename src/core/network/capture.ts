import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { z } from 'zod';
import type { captureInfo } from '../../shared/contract/network.js';
import { pidAlive, processMatches, readPidFile } from '../sys/proc.js';
import type { NetCtx } from './context.js';
import { killAndWait } from './dnsmasq.js';
import { summarizePcap } from './pcap.js';
import { requireNetwork } from './attach.js';

// Packet captures: tcpdump on a switch writing <data>/captures/<switch>-<timestamp>.pcap (the
// folder the app auto-scans). The BPF filter goes through a file (-F), never through argv
// parsing, so a filter can never become a tcpdump option.

type CaptureInfo = z.infer<typeof captureInfo>;
const ID = /^([a-z0-9][a-z0-9_-]{0,14})-(\d{8}-\d{6}(?:-\d+)?)$/;
const metaDir = (ctx: NetCtx) => join(ctx.runDir, 'captures');
const pidFile = (ctx: NetCtx, id: string) => join(metaDir(ctx), `${id}.pid`);
const pcapFile = (ctx: NetCtx, id: string) => join(ctx.capturesDir, `${id}.pcap`);

function checkId(id: string): RegExpExecArray {
  const m = ID.exec(id);
  if (!m) throw new NovaError('INVALID_INPUT', `"${id}" is not a capture id (see \`nova net capture ls\`)`, { field: 'id' });
  return m;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

async function capturePid(ctx: NetCtx, id: string): Promise<number | undefined> {
  const pid = await readPidFile(pidFile(ctx, id));
  return pid && pidAlive(pid) && (await processMatches(pid, ['tcpdump', pcapFile(ctx, id)])) ? pid : undefined;
}

export async function captureInfoOf(ctx: NetCtx, id: string): Promise<CaptureInfo> {
  const m = checkId(id);
  const file = pcapFile(ctx, id);
  const summary = await summarizePcap(file).catch(async () => ({ size: (await stat(file).catch(() => ({ size: 0 }))).size, packets: 0 }));
  return { id, network: m[1]!, file, running: Boolean(await capturePid(ctx, id)), ...summary };
}

/**
 * `user`: tcpdump drops to this user before it opens the output file (nova privd passes its
 * caller, so the file lands where the caller may write, owned by them).
 */
export async function startCapture(ctx: NetCtx, o: { network: string; duration?: number; filter?: string; interface?: string; user?: string }): Promise<CaptureInfo> {
  await requireNetwork(ctx, o.network);
  await mkdir(ctx.capturesDir, { recursive: true });
  await mkdir(metaDir(ctx), { recursive: true });
  let id = `${o.network}-${stamp(ctx.now())}`;
  for (let i = 1; await stat(pcapFile(ctx, id)).then(() => true, () => false); i++) id = `${o.network}-${stamp(ctx.now())}-${i}`;
  const file = pcapFile(ctx, id);
  const argv = ['tcpdump', '-i', o.interface ?? o.network, '-n', '-U', '--immediate-mode', '-Z', o.user ?? 'root', '-w', file];

  if (o.filter?.trim()) {
    const f = join(metaDir(ctx), `${id}.bpf`);
    await writeFile(f, o.filter);
    argv.push('-F', f);
  }
  const log = await open(join(metaDir(ctx), `${id}.log`), 'w');
  // tcpdump's own -G only rotates when a packet arrives; coreutils timeout stops it on an idle
  // switch too (and forwards our SIGTERM to it on `capture stop`).
  const timed = o.duration ? ['timeout', '--signal=INT', String(o.duration), ...argv] : argv;
  const [cmd, ...args] = ctx.argv(timed) as [string, ...string[]];
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
  await log.close();
  child.unref();
  await writeFile(pidFile(ctx, id), `${child.pid}\n`);
  // tcpdump prints "listening on" once the filter compiled and the interface opened.
  const until = Date.now() + 5000;
  for (;;) {
    const text = await readFile(join(metaDir(ctx), `${id}.log`), 'utf8').catch(() => '');
    if (/listening on/.test(text)) break;
    if (child.exitCode !== null || !pidAlive(child.pid!) || Date.now() > until) {
      await rm(file, { force: true });
      const why = text.trim().split('\n').pop() || 'tcpdump exited';
      const deviceProblem = /No such device|doesn't exist|not up|permission|Operation not permitted/i.test(text);
      if (o.filter?.trim() && !deviceProblem) {
        throw new NovaError('INVALID_INPUT', `filter "${o.filter}" is not a valid BPF expression (${why}); write e.g. "icmp or port 53"`, { field: 'filter' });
      }
      throw new NovaError(/permission|not permitted/i.test(text) ? 'PERMISSION' : 'INTERNAL', `capture on ${o.interface ?? o.network} failed: ${why}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return captureInfoOf(ctx, id);
}

export async function stopCapture(ctx: NetCtx, id: string): Promise<CaptureInfo> {
  checkId(id);
  const pid = await capturePid(ctx, id);
  if (pid) await killAndWait(pid);
  else if (!(await stat(pcapFile(ctx, id)).then(() => true, () => false))) throw new NovaError('NOT_FOUND', `no capture "${id}"`);
  return captureInfoOf(ctx, id);
}

export async function listCaptures(ctx: NetCtx, network?: string): Promise<CaptureInfo[]> {
  const files = await readdir(ctx.capturesDir).catch(() => [] as string[]);
  const ids = files.filter((f) => f.endsWith('.pcap')).map((f) => f.slice(0, -5)).filter((id) => ID.test(id));
  const infos = await Promise.all(ids.map((id) => captureInfoOf(ctx, id)));
  return infos.filter((c) => !network || c.network === network).sort((a, b) => a.id.localeCompare(b.id));
}

export async function removeCapture(ctx: NetCtx, id: string): Promise<void> {
  checkId(id);
  const pid = await capturePid(ctx, id);
  if (pid) await killAndWait(pid);
  const file = pcapFile(ctx, id);
  if (!(await stat(file).then(() => true, () => false))) throw new NovaError('NOT_FOUND', `no capture "${id}"`);
  await rm(file, { force: true });
  for (const ext of ['pid', 'bpf', 'log']) await rm(join(metaDir(ctx), `${id}.${ext}`), { force: true });
}

/** The pid recorded for a running capture (nova privd hands it to the caller's engine). */
export const capturePidOf = (ctx: NetCtx, id: string) => capturePid(ctx, id);

/** Remembers a capture started elsewhere (by nova privd for this user) so list/rm see it running. */
export async function rememberCapture(ctx: NetCtx, id: string, pid: number): Promise<void> {
  checkId(id);
  await mkdir(metaDir(ctx), { recursive: true });
  await writeFile(pidFile(ctx, id), `${pid}\n`);
}
