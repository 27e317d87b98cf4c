// The receiving side of a cross-host migration, run by the target host's engine: the VM is
// defined with empty disks of the source's sizes in its own folder, its QEMU waits with
// `-incoming defer`, exports the disks over NBD and listens for RAM — on unix sockets in the VM's
// 0700 runtime folder (reached through the source's SSH forward) or, when the user asked for
// clear text, on a TCP port of the host's address. An `incoming` record beside the definition
// says the VM is not this host's yet: commit removes it (the VM is ours), abort removes the VM.
//
// QEMU waits with -S too: once the stream is in, the guest stays paused here until commit
// resumes it, and commit records that (`resumedAt`) before it does. So "the guest never ran
// here" is a fact the source can ask for (vm.xmigrate.status) when a switch-over fails — this
// QEMU exited, its load failed, or it never finished — and then resume its own copy safely.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { NovaError } from '../../../shared/errors.js';
import { vmSpec } from '../../../shared/schemas/novafile.js';
import type { VmSpec } from '../../../shared/schemas/novafile.js';
import { dirs } from '../../sys/paths.js';
import { writeJsonAtomic } from '../../sys/atomic.js';
import type { VmContext } from '../context.js';
import { vmFeatures } from '../config/features.js';
import { ovmfFiles } from '../context.js';
import { createVm, deleteVm } from '../lifecycle.js';
import { publish, startVm, stopVm } from '../power.js';
import { ensureVarsFile, freeLoopbackPort } from '../process.js';
import { queryStatus } from '../qmp/commands.js';
import type { MigrationInfo } from '../qmp/commands.js';
import { withQmp } from '../qmp/protocol.js';
import { livePid } from '../state.js';
import { findRecord, layoutOf, loadRecord, runtimeDir, vmDir } from '../store.js';
import { localBase } from './base.js';
import type { DiskBase } from './base.js';
import { codePathFor, fileBytes, hashFile, VARS_NODE } from './firmware.js';
import { finishTarget, migrationUri, prepareTarget } from './sequence.js';
import type { SocketAddr } from './sequence.js';

export interface IncomingInput {
  name: string;
  /** One id per attempt: settle acts only on the attempt it names. */
  id: string;
  from: string;
  /** The definition without its files (disks, kernel, initrd, ISOs come below); checked here once completed. */
  spec: Record<string, unknown>;
  uuid: string;
  mac: string;
  project?: string;
  /** The source's block nodes in order (disk0…), with their virtual sizes (and the store image a disk is an overlay on). */
  disks: { node: string; bytes: number; base?: DiskBase }[];
  /** Read-only boot files, found by file name in this host's default storage pool. */
  media: { field: 'kernel' | 'initrd' | 'iso'; file: string; bytes: number }[];
  /** The VM's address on each of its switches at the source: kept here (this host's dnsmasq then answers for it). */
  addresses?: { network: string; ip: string }[];
  /** A UEFI VM: the source's OVMF code build (this host must run the same) and its variable store's size (mirrored into a fresh copy here). */
  firmware?: { codeSha256: string; varsBytes: number };
  /** unix: sockets in the VM's runtime folder (an SSH forward reaches them); tcp: on this address. */
  listen: { kind: 'unix' } | { kind: 'tcp'; host: string };
}

export interface IncomingReady {
  nbd: SocketAddr;
  ram: SocketAddr;
  /** sync 'top': this disk is an overlay on this host's copy of its base image; only the top layer comes. */
  exports: { node: string; exportName: string; sync: 'full' | 'top' }[];
}

interface IncomingRecord {
  id: string;
  from: string;
  at: number;
  /** Set just before commit resumes the guest here: from then on the source's copy must never run again. */
  resumedAt?: number;
}

/** One commit or drop at a time per VM (the lease's and the source's may meet). */
const busy = new Map<string, Promise<unknown>>();
function serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const run = (busy.get(name) ?? Promise.resolve()).catch(() => undefined).then(fn);
  busy.set(name, run);
  void run.finally(() => busy.get(name) === run && busy.delete(name)).catch(() => undefined);
  return run;
}

const incomingFile = (ctx: VmContext, name: string) => join(vmDir(ctx.paths, name), 'incoming.json');

export async function readIncoming(ctx: VmContext, name: string): Promise<IncomingRecord | undefined> {
  const text = await readFile(incomingFile(ctx, name), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as IncomingRecord) : undefined;
}

/** A boot file by name in the default pool, of the same size as the source's. */
async function findMedia(ctx: VmContext, m: IncomingInput['media'][number]): Promise<string> {
  if (m.file !== basename(m.file) || m.file.startsWith('.')) throw new NovaError('INVALID_INPUT', `media: "${m.file}" is not a file name`, { field: 'media' });
  const pool = dirs.storage(ctx.paths);
  const path = join(pool, m.file);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size !== m.bytes) {
    throw new NovaError('NOT_FOUND', `the VM's ${m.field} ${m.file} (${m.bytes} bytes) is not in this host's storage pool ${pool}${st ? ` (a file of ${st.size} bytes is)` : ''}: copy it there (same name), then migrate again`, { field: m.field });
  }
  return path;
}

/** The spec as this host runs it: its own disk files (sized as the source's), its own copies of boot files. */
async function localSpec(ctx: VmContext, i: IncomingInput): Promise<{ spec: VmSpec; top: Set<string> }> {
  const dir = vmDir(ctx.paths, i.name);
  // Files named by the caller are never used: only this host's pool, image store and the VM's own folder.
  const { image: _i, iso: _c, kernel: _k, initrd: _r, disks: _d, shares: _s, ...rest } = structuredClone(i.spec);
  const top = new Set<string>();
  const disks = [];
  for (const d of i.disks) {
    const backing = d.base ? await localBase(ctx.paths, d.base) : undefined;
    if (backing) top.add(d.node);
    disks.push({ path: join(dir, `${d.node}.qcow2`), size: d.bytes, format: 'qcow2', ...(backing ? { backing } : {}) });
  }
  const draft: Record<string, unknown> = { ...rest, disks };
  const isos: string[] = [];
  for (const m of i.media) {
    const path = await findMedia(ctx, m);
    if (m.field === 'iso') isos.push(path);
    else draft[m.field] = path;
  }
  if (isos.length) draft.iso = isos;
  const parsed = vmSpec.safeParse(draft);
  if (!parsed.success) throw new NovaError('INVALID_INPUT', `spec: the VM's definition does not hold here: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`, { field: 'spec' });
  return { spec: parsed.data, top };
}

/** Defines the VM (marked incoming), starts QEMU waiting, exports the disks, listens for RAM. */
export async function receiveIncoming(ctx: VmContext, i: IncomingInput): Promise<IncomingReady> {
  if (await findRecord(ctx.paths, i.name)) throw new NovaError('CONFLICT', `this host already has a VM named ${i.name}: remove or rename it first`, { field: 'name' });
  const { spec, top } = await localSpec(ctx, i);
  const f = vmFeatures(spec);
  if (f.uefi) await sameFirmware(f.secureBoot, i.firmware);
  // Recorded before anything is made: whatever exists of this VM here is the attempt's until commit.
  await mkdir(vmDir(ctx.paths, i.name), { recursive: true, mode: 0o700 });
  await writeJsonAtomic(incomingFile(ctx, i.name), { id: i.id, from: i.from, at: Date.now() } satisfies IncomingRecord);
  try {
    await createVm(ctx, { name: i.name, spec, uuid: i.uuid, mac: i.mac, ...(i.project ? { project: i.project } : {}) });
    // A fresh variable store of the source's size: the mirror fills it. (A TPM's fresh swtpm and
    // its empty state folder come with the start below; QEMU fills it at switch-over.)
    if (f.uefi) await freshVars(ctx, i.name, f.secureBoot, i.firmware!.varsBytes);
    const run = runtimeDir(ctx.paths, i.name);
    const tag = randomBytes(3).toString('hex');
    const [nbd, ram]: SocketAddr[] =
      i.listen.kind === 'unix'
        ? [{ path: join(run, `xm-${tag}.nbd`) }, { path: join(run, `xm-${tag}.ram`) }]
        : [{ host: i.listen.host, port: await freeLoopbackPort() }, { host: i.listen.host, port: await freeLoopbackPort() }];
    await startVm(ctx, i.name, { incoming: migrationUri(ram!), incomingPaused: true, ...(i.addresses?.length ? { addresses: Object.fromEntries(i.addresses.map((a) => [a.network, a.ip])) } : {}) });
    const exports = i.disks.map((d) => ({ node: d.node, exportName: d.node, sync: top.has(d.node) ? ('top' as const) : ('full' as const) }));
    if (f.uefi) exports.push({ node: VARS_NODE, exportName: VARS_NODE, sync: 'full' });
    await withQmp(layoutOf(ctx.paths, i.name).qmp, (q) => prepareTarget(q, { nbd: nbd!, disks: exports, incoming: migrationUri(ram!) }));
    publish(ctx, i.name, 'starting', `receiving a live migration from ${i.from}`);
    return { nbd: nbd!, ram: ram!, exports };
  } catch (e) {
    await dropIncoming(ctx, i.name, i.id).catch(() => undefined);
    throw e;
  }
}

/** Refuses a UEFI VM whose firmware build this host does not have (the preflight said so already; this is the last word). */
async function sameFirmware(secureBoot: boolean, want: IncomingInput['firmware']): Promise<void> {
  if (!want) throw new NovaError('INVALID_INPUT', 'firmware: a UEFI VM needs the hash of its OVMF code build and the size of its variable store', { field: 'firmware' });
  const path = codePathFor({ secureBoot });
  const have = await hashFile(path);
  const kind = secureBoot ? 'Secure Boot OVMF firmware' : 'OVMF firmware';
  if (!have) throw new NovaError('HOST_UNSUPPORTED', `this host has no ${kind} (${path}): install the ovmf package (Arch: edk2-ovmf), the same version as on the source`, { field: 'firmware' });
  if (have.sha256 !== want.codeSha256) {
    throw new NovaError('HOST_UNSUPPORTED', `this host's ${kind} ${path} is another build than the source's (sha256 ${have.sha256.slice(0, 12)}… vs ${want.codeSha256.slice(0, 12)}…): install the same ovmf version on both hosts`, { field: 'firmware' });
  }
}

/** The VM's variable store here: a copy of this host's template, of exactly the source's size (a mirror needs the same size). */
async function freshVars(ctx: VmContext, name: string, secureBoot: boolean, bytes: number): Promise<void> {
  const ovmf = ovmfFiles();
  const vars = layoutOf(ctx.paths, name).varsFile;
  await rm(vars, { force: true });
  await ensureVarsFile(vars, secureBoot ? ovmf.msVars : ovmf.vars);
  const here = await fileBytes(vars);
  if (here !== bytes) throw new NovaError('HOST_UNSUPPORTED', `the VM's UEFI variable store is ${bytes} bytes, this host's OVMF template ${secureBoot ? ovmf.msVars : ovmf.vars} is ${here}: install the same ovmf version on both hosts`, { field: 'firmware' });
}

/** Removes the attempt `id` (its QEMU, definition and disks); a VM this host owns, or a guest that ran here, is never touched. */
export function dropIncoming(ctx: VmContext, name: string, id: string): Promise<boolean> {
  return serial(name, async () => {
    const rec = await readIncoming(ctx, name);
    if (!rec || rec.id !== id) return false;
    if (rec.resumedAt) throw new NovaError('CONFLICT', `the guest of ${name} ran here (resumed ${new Date(rec.resumedAt).toISOString()}): this attempt is not removed; commit it`, { field: 'id', verdict: 'ran' });
    if (await findRecord(ctx.paths, name)) {
      await stopVm(ctx, name, { force: true, byUser: false }).catch(() => undefined);
      await deleteVm(ctx, name, true);
    }
    await rm(vmDir(ctx.paths, name), { recursive: true, force: true });
    await rm(runtimeDir(ctx.paths, name), { recursive: true, force: true });
    return true;
  });
}

/**
 * Until this QEMU holds the whole guest ('paused' by -S, or 'running'). Fails at once, without
 * waiting out the deadline, when QEMU exited or its load failed (`verdict`: whether the guest
 * ran here, so the source knows whether it may resume its copy).
 */
async function untilReceived(ctx: VmContext, name: string, rec: IncomingRecord, timeoutMs: number): Promise<'running' | 'paused'> {
  const vm = await loadRecord(ctx.paths, name);
  const qmp = layoutOf(ctx.paths, name).qmp;
  const verdict = rec.resumedAt ? 'ran' : 'never-ran';
  const where = rec.resumedAt ? `after the guest ran here (its paused copy on ${rec.from} is not resumed by itself)` : `before the guest ran here`;
  const end = Date.now() + timeoutMs;
  let last = '?';
  for (let d = 5; ; d = Math.min(d * 2, 100)) {
    if (!(await livePid(ctx.paths, vm))) throw new NovaError('CONFLICT', `the incoming QEMU of ${name} exited${last === '?' ? '' : ` (last status ${last})`} ${where}`, { verdict });
    const st = await withQmp(qmp, async (q) => {
      const s = await queryStatus(q);
      const m = s.status === 'inmigrate' ? await q.execute<MigrationInfo>('query-migrate').catch(() => undefined) : undefined;
      return { status: s.status as string, migration: m?.status, error: m?.['error-desc'] };
    }, { greetingTimeoutMs: 3000 }).catch(() => undefined);
    if (st?.status === 'running' || st?.status === 'paused') return st.status;
    if (st) last = st.migration ? `${st.status}, migration ${st.migration}` : st.status;
    if (st?.migration === 'failed') throw new NovaError('CONFLICT', `the incoming QEMU of ${name} failed to load the guest${st.error ? ` (${st.error})` : ''} ${where}`, { verdict });
    if (Date.now() > end) throw new NovaError('TIMEOUT', `the incoming QEMU of ${name} did not finish receiving the guest within ${timeoutMs / 1000}s (status ${last}); it never ran here`, { verdict });
    await new Promise((r) => setTimeout(r, d));
  }
}

export interface CommitOptions {
  timeoutMs?: number;
  /** Resume the guest here (false: the source's guest was paused, it stays paused). Default true. */
  resume?: boolean;
}

/** Commit: once QEMU holds the guest, it resumes here, NBD goes and the VM is this host's (the incoming record goes last). */
export function commitIncoming(ctx: VmContext, name: string, id: string, o: CommitOptions = {}): Promise<void> {
  return serial(name, async () => {
    let rec = await readIncoming(ctx, name);
    if (!rec) {
      if (await findRecord(ctx.paths, name)) return; // committed already (a retry after a lost answer)
      throw new NovaError('NOT_FOUND', `no incoming migration of ${name} here`, { field: 'name' });
    }
    if (rec.id !== id) throw new NovaError('CONFLICT', `the incoming migration of ${name} here is another attempt (${rec.id})`, { field: 'id' });
    const status = await untilReceived(ctx, name, rec, o.timeoutMs ?? 30_000);
    const qmp = layoutOf(ctx.paths, name).qmp;
    if (status === 'paused' && o.resume !== false) {
      // Written before the guest runs here: the source resumes its copy only while this is unset.
      if (!rec.resumedAt) {
        rec = { ...rec, resumedAt: Date.now() };
        await writeJsonAtomic(incomingFile(ctx, name), rec);
      }
      await withQmp(qmp, (q) => q.execute('cont'));
    }
    await withQmp(qmp, async (q) => {
      await finishTarget(q);
      // QEMU announced the guest's MACs when it resumed (RARPs, and the guest's own gratuitous ARPs
      // through virtio-net); once more now, so switches joined late (a VXLAN FDB) learn this port.
      await q.execute('announce-self', { initial: 50, max: 550, rounds: 5, step: 100 }).catch(() => undefined);
    });
    await rm(incomingFile(ctx, name), { force: true });
    publish(ctx, name, 'running', `migrated here from ${rec.from}`);
  });
}

/**
 * The guest ran here and this QEMU has exited since (crashed, killed): the VM stays this host's,
 * stopped, its disks holding the guest's latest state; the attempt is over (commit would wait for
 * a QEMU that is gone). False when it does not apply.
 */
export function keepStopped(ctx: VmContext, name: string, id: string): Promise<boolean> {
  return serial(name, async () => {
    const rec = await readIncoming(ctx, name);
    if (!rec || rec.id !== id || !rec.resumedAt) return false;
    const vm = await findRecord(ctx.paths, name);
    if (vm && (await livePid(ctx.paths, vm))) return false;
    await rm(incomingFile(ctx, name), { force: true });
    publish(ctx, name, 'stopped', `migrated here from ${rec.from}; its QEMU exited before the move was committed`);
    return true;
  });
}

export interface IncomingStatus {
  /** A VM of that name is defined here. */
  defined: boolean;
  /** It is still attempt `id`'s (not committed). */
  incoming: boolean;
  /** QEMU's status, when one runs. */
  qmpStatus?: string;
  /** Attempt `id` only: whether the guest was resumed here (false: it never ran here). */
  resumed?: boolean;
  /** Attempt `id` only: its QEMU process is gone. */
  exited?: boolean;
}

export async function incomingStatus(ctx: VmContext, name: string, id: string): Promise<IncomingStatus> {
  const rec = await readIncoming(ctx, name);
  const vm = await findRecord(ctx.paths, name);
  const st = vm ? await withQmp(layoutOf(ctx.paths, name).qmp, queryStatus, { greetingTimeoutMs: 3000 }).catch(() => undefined) : undefined;
  const mine = rec?.id === id;
  const exited = mine && (!vm || !(await livePid(ctx.paths, vm)));
  return { defined: Boolean(vm), incoming: mine, ...(st ? { qmpStatus: st.status } : {}), ...(mine ? { resumed: Boolean(rec.resumedAt), exited } : {}) };
}
