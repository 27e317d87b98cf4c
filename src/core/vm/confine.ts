// QEMU confinement when the engine runs as root (a server, CI): QEMU opens its devices, disks
// and sockets as root, then drops to an unprivileged run-as user (`-runas`) inside a seccomp
// sandbox. A user's QEMU already runs as that user and gets neither.
//
// What QEMU opens *after* the drop (external snapshot overlays, screendumps, reopening a disk
// read-write for block jobs, a swtpm that runs as the same user) must belong to the run-as user:
// the VM's writable disks, overlays, UEFI vars and TPM state are handed over, each change
// recorded (original owner and mode) before it is made, and given back when the VM is deleted.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import type { NovaPaths } from '../sys/paths.js';
import type { Reverter } from '../sys/reverter.js';
import { layoutOf, resolveDisks, vmDir } from './store.js';
import type { VmRecord } from './store.js';

/** The dedicated system user root's QEMU runs as (created by the package, or here on first need). */
export const DEFAULT_RUN_AS = 'nova-qemu';

/**
 * `-sandbox` options for a root-started QEMU. `elevateprivileges=deny` is left out on purpose:
 * QEMU 7.2 installs the filter before `-runas` calls setgid/setuid, so with it QEMU dies with
 * SIGSYS. After the drop all four uids are the run-as user's, no capabilities remain and
 * `spawn=deny` forbids fork/exec (no_new_privs is set), so set*id calls gain nothing.
 */
export const SANDBOX = 'on,obsolete=deny,spawn=deny,resourcecontrol=deny';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

interface PasswdEntry {
  uid: number;
  gid: number;
}

function lookup(name: string, passwd = '/etc/passwd'): PasswdEntry | undefined {
  const line = readFileSync(passwd, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * The run-as user for this engine's QEMU, or undefined when the engine is not root (its QEMU
 * is already the user's own process). NOVA_QEMU_USER picks another existing user.
 */
export function runAsUser(env: NodeJS.ProcessEnv, euid = process.geteuid?.() ?? 0): RunAs | undefined {
  if (euid !== 0) return undefined;
  const user = env.NOVA_QEMU_USER || DEFAULT_RUN_AS;
  let entry = lookup(user);
  if (!entry && user === DEFAULT_RUN_AS) {
    // What the package's sysusers.d entry does, for root running Nova from a checkout.
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', '--user-group', user], { stdio: 'ignore' });
    entry = lookup(user);
  }
  if (!entry) throw new NovaError('HOST_UNSUPPORTED', `NOVA_QEMU_USER=${user}: no such user. Create it (useradd --system --user-group ${user}) or unset NOVA_QEMU_USER to use ${DEFAULT_RUN_AS}`, { user });
  // nobody is shared by every daemon that drops privileges: VM disks owned by it would be theirs too.
  if (entry.uid === 0 || user === 'nobody' || entry.uid === 65534) {
    throw new NovaError('HOST_UNSUPPORTED', `QEMU cannot run as "${user}": root's QEMU needs a dedicated unprivileged user that owns its writable state (the default is ${DEFAULT_RUN_AS})`, { user });
  }
  return { user, ...entry };
}

// ---- handing files over, and giving them back ---------------------------------------------

interface Handed {
  path: string;
  uid: number;
  gid: number;
  mode: number;
}

interface HandoverBook {
  user: string;
  items: Handed[];
}

/** The record of what was handed over: root-owned, in the VM's definition folder (never QEMU's). */
export const handoverFile = (vmDir: string) => join(vmDir, 'handover.json');

const readBook = (file: string) => readJson<HandoverBook | undefined>(file, undefined);

/**
 * Gives `paths` (files, and folders with what is in them) to the run-as user. Each original
 * owner is written to the record before the chown, and the reverter gives it back if the caller
 * fails. Already handed-over paths keep their first record (the true original owner).
 */
export async function handOver(book: string, runAs: RunAs, paths: string[], r: Reverter): Promise<void> {
  for (const top of paths) {
    for (const path of await walk(top)) {
      const st = await lstat(path).catch(() => undefined);
      if (!st || st.isSymbolicLink() || (st.uid === runAs.uid && st.gid === runAs.gid)) continue;
      const cur = (await readBook(book)) ?? { user: runAs.user, items: [] };
      if (!cur.items.some((i) => i.path === path)) {
        cur.items.push({ path, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
        await writeJsonAtomic(book, cur, { mode: 0o600 });
        r.add(() => giveBackOne(book, path), `give ${path} back`);
      }
      await chown(path, runAs.uid, runAs.gid);
    }
  }
}

/** The files and folders under `top` (itself first); a missing path yields nothing. */
async function walk(top: string): Promise<string[]> {
  const st = await lstat(top).catch(() => undefined);
  if (!st) return [];
  if (!st.isDirectory()) return [top];
  const out = [top];
  for (const e of await readdir(top)) out.push(...(await walk(join(top, e))));
  return out;
}

async function giveBackOne(book: string, path: string): Promise<void> {
  const cur = await readBook(book);
  const item = cur?.items.find((i) => i.path === path);
  if (!cur || !item) return;
  await restore(item);
  await writeJsonAtomic(book, { ...cur, items: cur.items.filter((i) => i !== item) }, { mode: 0o600 });
}

async function restore(item: Handed): Promise<void> {
  const st = await lstat(item.path).catch(() => undefined);
  if (!st || st.isSymbolicLink()) return;
  await chown(item.path, item.uid, item.gid);
  await chmod(item.path, item.mode);
}

/** Everything recorded goes back to its original owner and mode (VM delete). */
export async function giveBackAll(book: string): Promise<string[]> {
  const cur = await readBook(book);
  if (!cur) return [];
  for (const item of [...cur.items].reverse()) await restore(item);
  await writeJsonAtomic(book, { ...cur, items: [] }, { mode: 0o600 });
  return cur.items.map((i) => i.path);
}

/**
 * Lets the run-as user pass through Nova's own folders to reach the VM's files: search only
 * (o+x, names stay unlistable). Part of Nova's folder layout for a confined QEMU, so not given
 * back: other VMs need the same shared folders.
 */
export async function allowSearch(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const st = await lstat(dir).catch(() => undefined);
    if (st?.isDirectory() && (st.mode & 0o001) === 0) await chmod(dir, (st.mode & 0o7777) | 0o001);
  }
}

/** `dir` and its parents up to and including `root` (which must contain it). */
export function chainUpTo(dir: string, root: string): string[] {
  const out: string[] = [];
  for (let d = dir; d.startsWith(root); d = dirname(d)) {
    out.push(d);
    if (d === root || d === dirname(d)) break;
  }
  return out;
}

// ---- a VM's files for its confined QEMU ---------------------------------------------------

/** Where a confined QEMU may create files (screendumps): the run-as user's, inside the runtime dir. */
export const scratchDir = (paths: NovaPaths, name: string) => layoutOf(paths, name).scratch;

/** Nova's own top folders: the run-as user may pass through them, nothing above. */
const novaRoots = (paths: NovaPaths) => (paths.source === 'NOVA_HOME' ? [dirname(paths.data)] : [paths.data, paths.runtime]);

function searchChain(paths: NovaPaths, dir: string): string[] {
  const root = novaRoots(paths).find((r) => dir === r || dir.startsWith(`${r}/`));
  return root ? chainUpTo(dir, root) : [];
}

/**
 * Before a root-started QEMU drops to `runAs`: the VM's writable disks, overlays, UEFI vars and
 * TPM state become the run-as user's (recorded, given back on delete), a scratch folder is made
 * for it, and Nova's folders on the way are searchable. Undone by `r` if the start fails.
 */
export async function prepareConfined(paths: NovaPaths, rec: VmRecord, runAs: RunAs, r: Reverter, opts: { tpm: boolean }): Promise<void> {
  const l = layoutOf(paths, rec.name);
  const writable = resolveDisks(rec).filter((d) => !d.readonly).map((d) => d.path);
  const owned = [...new Set([...writable, ...Object.values(rec.overlays ?? {}), l.varsFile, l.tpmState])];
  const scratch = scratchDir(paths, rec.name);
  const dirsOnTheWay = [scratch, vmDir(paths, rec.name), ...owned.map((p) => dirname(p))].flatMap((d) => searchChain(paths, d));
  if (opts.tpm) await mkdir(l.tpmState, { recursive: true, mode: 0o700 });
  await rm(scratch, { recursive: true, force: true });
  r.add(() => rm(scratch, { recursive: true, force: true }), 'remove the QEMU scratch folder');
  await mkdir(scratch, { mode: 0o700 });
  await chown(scratch, runAs.uid, runAs.gid);
  // The runtime folder holds the QMP and VNC sockets: only the run-as group may pass (0710), never
  // other users; the shared folders above it get the search bit.
  const run = dirname(scratch);
  await chown(run, -1, runAs.gid);
  await chmod(run, 0o710);
  await allowSearch([...new Set(dirsOnTheWay)].filter((d) => d !== run));
  await handOver(handoverFile(vmDir(paths, rec.name)), runAs, owned, r);
}
