// Shared folders: `shares = [{ host = "./src", tag = "src" }]`. virtiofs where virtiofsd can run
// (one daemon per share, guest RAM on a shared memfd so it can map the queues), 9p otherwise:
// QEMU serves it itself, no daemon. Read-only shares are 9p: QEMU enforces readonly=on, Debian's
// virtiofsd (QEMU 7.2's C daemon) has no read-only mode.
//
// virtiofsd as an ordinary user (why it failed before, and what Nova does instead):
// - `--socket-path` makes it take a lock in /var/run/virtiofsd (root's): Nova hands it a listening
//   socket as fd 3 instead (`--fd=3`), made by systemd-socket-activate (a blocking socket: Node's
//   own listening sockets are non-blocking, and virtiofsd's accept() fails with EAGAIN on those);
// - its default sandbox (`-o sandbox=namespace`: mount, pid and net namespaces + pivot_root)
//   needs CAP_SYS_ADMIN, `-o sandbox=chroot` CAP_SYS_CHROOT: Nova runs it in a user namespace of
//   its own (`unshare --user --map-root-user`), where it has both over its own namespaces only.
//   Files the guest creates are the user's on the host (the namespace's root is the user).
// Root's engine runs virtiofsd as root (its default sandbox); the socket is handed to the user a
// confined QEMU runs as.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { chown, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import type { VmShareInfo } from '../../shared/contract/vm.js';
import type { Reverter } from '../sys/reverter.js';
import { parseSubIds } from '../host/subids.js';
import { killVerified, waitForExit } from './process.js';
import { absolutize, layoutOf } from './store.js';
import type { VmRecord } from './store.js';
import type { NovaPaths } from '../sys/paths.js';
import type { ResolvedShare } from './config/types.js';

const VIRTIOFSD = ['/usr/libexec/virtiofsd', '/usr/lib/qemu/virtiofsd'];

const onPath = (tool: string): string | undefined =>
  (process.env.PATH ?? '/usr/bin:/bin').split(':').map((d) => join(d, tool)).find((f) => existsSync(f));

export interface ShareHost {
  virtiofsd?: string;
  /** systemd-socket-activate: the listening socket virtiofsd gets as fd 3. */
  activator?: string;
  /** An ordinary user's virtiofsd runs behind this (a user namespace), or `usernsBlocker` says why it cannot. */
  userns?: string[];
  usernsBlocker?: string;
  root: boolean;
}

/**
 * The user namespace for a user's virtiofsd. virtiofsd drops supplementary groups (setgroups),
 * which a namespace mapped by `--map-root-user` alone forbids: with subordinate ids
 * (newuidmap/newgidmap, `--map-auto`) it may; without them only a user with no supplementary group
 * can run it.
 */
function usernsFor(): Pick<ShareHost, 'userns' | 'usernsBlocker'> {
  const unshare = onPath('unshare');
  if (!unshare) return { usernsBlocker: 'unshare (util-linux) is missing (an ordinary user\'s virtiofsd runs in a user namespace)' };
  const uid = process.geteuid?.() ?? 0;
  const name = userInfo().username;
  const sub = (f: string) => {
    try {
      return parseSubIds(readFileSync(f, 'utf8'), name, uid).length > 0;
    } catch {
      return false;
    }
  };
  if (sub('/etc/subuid') && sub('/etc/subgid') && onPath('newuidmap') && onPath('newgidmap')) return { userns: [unshare, '--user', '--map-auto', '--map-root-user'] };
  const extra = (process.getgroups?.() ?? []).filter((g) => g !== process.getegid?.());
  if (!extra.length) return { userns: [unshare, '--user', '--map-root-user'] };
  return { usernsBlocker: `virtiofsd drops supplementary groups, which ${name} may do in a user namespace only with subordinate ids: \`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${name}\` (and the uidmap package)` };
}

export function shareHost(euid = process.geteuid?.() ?? 0): ShareHost {
  const virtiofsd = VIRTIOFSD.find((f) => existsSync(f)) ?? onPath('virtiofsd');
  const activator = onPath('systemd-socket-activate');
  return { root: euid === 0, ...(virtiofsd ? { virtiofsd } : {}), ...(activator ? { activator } : {}), ...(euid === 0 ? {} : usernsFor()) };
}

/** Why virtiofs cannot be used here (undefined: it can). */
export function virtiofsBlocker(h: ShareHost): string | undefined {
  if (!h.virtiofsd) return 'virtiofsd is not installed (Debian: qemu-system-common ships /usr/lib/qemu/virtiofsd)';
  if (!h.activator) return 'systemd-socket-activate is missing (it hands virtiofsd its socket)';
  if (!h.root && !h.userns) return h.usernsBlocker;
  return undefined;
}

export const mountCommand = (driver: 'virtiofs' | '9p', tag: string, readonly: boolean): string =>
  driver === 'virtiofs'
    ? `mkdir -p /mnt/${tag} && mount -t virtiofs${readonly ? ' -o ro' : ''} ${tag} /mnt/${tag}`
    : `mkdir -p /mnt/${tag} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144${readonly ? ',ro' : ''} ${tag} /mnt/${tag}`;

/** Each share with the driver it gets on this host, its folder and (virtiofs) its socket. */
export function resolveShares(paths: NovaPaths, rec: VmRecord, h: ShareHost): ResolvedShare[] {
  const blocker = virtiofsBlocker(h);
  return (rec.spec.shares ?? []).map((s, i) => {
    const host = absolutize(rec.baseDir, s.host);
    if (s.driver === 'virtiofs' && blocker) throw new NovaError('HOST_UNSUPPORTED', `shares.${i}: virtiofs cannot run here: ${blocker}; use driver = "9p" or "auto"`, { field: `shares.${i}.driver` });
    const virtiofs = s.driver === 'virtiofs' || (s.driver === 'auto' && !s.readonly && !blocker);
    const why = s.driver === '9p' ? 'driver = "9p"' : s.readonly ? 'read-only (QEMU enforces it for 9p; virtiofsd cannot)' : blocker;
    return virtiofs
      ? { tag: s.tag, host, readonly: s.readonly, driver: 'virtiofs' as const, socket: join(layoutOf(paths, rec.name).scratch, `fs${i}.sock`) }
      : { tag: s.tag, host, readonly: s.readonly, driver: '9p' as const, ...(why ? { reason: why } : {}) };
  });
}

/** Checked before start: each shared folder exists and is a folder. */
export function checkShareFolders(rec: VmRecord): void {
  for (const [i, s] of (rec.spec.shares ?? []).entries()) {
    const host = absolutize(rec.baseDir, s.host);
    const st = (() => {
      try {
        return statSync(host);
      } catch {
        return undefined;
      }
    })();
    if (!st?.isDirectory()) throw new NovaError('INVALID_INPUT', `shares.${i}.host: ${host} is not a folder — create it or fix the path`, { field: `shares.${i}.host`, path: host });
  }
}

const needles = (s: ResolvedShare) => ['virtiofsd', `source=${s.host}`];

/**
 * One virtiofsd per virtiofs share, detached (it outlives a one-shot CLI and exits when QEMU
 * closes the connection). Returns their pids; the reverter stops them if the start fails.
 */
export async function startVirtiofsd(h: ShareHost, shares: ResolvedShare[], logDir: string, r: Reverter, runAs?: { uid: number; gid: number }): Promise<Record<string, number>> {
  const pids: Record<string, number> = {};
  for (const s of shares) {
    if (s.driver !== 'virtiofs' || !s.socket) continue;
    await rm(s.socket, { force: true });
    const argv = [
      h.activator!, '-l', s.socket,
      ...(h.root ? [] : h.userns!),
      h.virtiofsd!, '--fd=3', '-o', `source=${s.host}`, '-o', 'cache=auto',
    ];
    const log = openSync(join(logDir, `virtiofsd-${s.tag}.log`), 'a', 0o600);
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    const pid = child.pid;
    if (!pid) throw new NovaError('HOST_UNSUPPORTED', `virtiofsd for share "${s.tag}" did not start; see ${join(logDir, `virtiofsd-${s.tag}.log`)}`);
    r.add(() => stopVirtiofsd({ [s.tag]: pid }, [s]), `stop virtiofsd ${s.tag}`);
    pids[s.tag] = pid;
    const deadline = Date.now() + 10_000;
    while (!existsSync(s.socket)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new NovaError('HOST_UNSUPPORTED', `virtiofsd for share "${s.tag}" made no socket; see ${join(logDir, `virtiofsd-${s.tag}.log`)}`, { field: 'shares' });
      await new Promise((res) => setTimeout(res, 20));
    }
    // A confined QEMU (root's engine) connects as its run-as user.
    if (runAs) await chown(s.socket, runAs.uid, runAs.gid);
  }
  return pids;
}

/** Stops what is left of the VM's virtiofsd (normally they exit with QEMU). */
export async function stopVirtiofsd(pids: Record<string, number> | undefined, shares: ResolvedShare[]): Promise<void> {
  for (const [tag, pid] of Object.entries(pids ?? {})) {
    const s = shares.find((x) => x.tag === tag);
    const want = s ? needles(s) : ['virtiofsd'];
    await killVerified(pid, want, 'SIGTERM');
    if (!(await waitForExit(pid, 2000))) await killVerified(pid, want, 'SIGKILL');
    if (s?.socket) await rm(s.socket, { force: true });
  }
}

/** What inspect shows: each share, its driver (running: the one QEMU has), and the guest's mount command. */
export function shareInfos(paths: NovaPaths, rec: VmRecord, live?: ResolvedShare[]): VmShareInfo[] {
  let shares = live;
  if (!shares) {
    try {
      shares = resolveShares(paths, rec, shareHost());
    } catch (e) {
      return (rec.spec.shares ?? []).map((s) => ({ tag: s.tag, host: absolutize(rec.baseDir, s.host), readonly: s.readonly, driver: '9p' as const, mount: mountCommand('9p', s.tag, s.readonly), reason: (e as Error).message }));
    }
  }
  return shares.map((s) => ({ tag: s.tag, host: s.host, readonly: s.readonly, driver: s.driver, mount: mountCommand(s.driver, s.tag, s.readonly), ...(s.reason ? { reason: s.reason } : {}) }));
}
