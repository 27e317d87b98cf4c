import { readFileSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { dirs } from './paths.js';
import type { NovaPaths } from './paths.js';

// Where Nova may read host files from (bind mounts, disk images, ISOs, imported rootfs) and write
// outputs to (disks, screenshots, bundles): only under allowed roots. An engine run by root must
// never bind "/" into a capsule or hand /etc/shadow to QEMU because an API caller asked.
//
// Roots: Nova's data dir (or the whole NOVA_HOME), the project folder (the NovaFile's folder),
// the user's home for an engine not run by root, and the roots configured in prefs
// (`allowedRoots`). An API client (remote) has no working directory here: its relative paths are
// refused, and the folder it names as its project counts only if it is itself under a root.

export interface PathScope {
  roots: string[];
  /** Where `allowedRoots` is configured (named in the fix). */
  prefsFile: string;
  /** Relative paths resolve here; undefined: relative paths are refused (remote caller, no folder). */
  base?: string;
}

/** Folders too wide, or too sensitive, to be accepted as a whole project. */
const SYSTEM = ['/etc', '/proc', '/sys', '/dev', '/boot', '/run', '/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/var/run', '/var/lib'];
const tooWide = (dir: string) => dir.split(sep).filter(Boolean).length < 2 || SYSTEM.some((s) => within(dir, s));

const within = (p: string, root: string) => {
  const r = relative(root, p);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
};

/** The real location (symlinks resolved) of a path, or of its nearest existing parent for new files. */
function real(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    const parent = dirname(p);
    return parent === p ? p : join(real(parent), basename(p));
  }
}

export interface ScopeInput {
  paths: NovaPaths;
  env: NodeJS.ProcessEnv;
  uid: number;
  configured: string[];
  /** The caller's project folder (baseDir / cwd / the NovaFile's folder), if it named one. */
  project?: string;
  /** The input field `project` came from (named when it is refused). */
  projectField?: string;
  remote: boolean;
}

export function pathScope(i: ScopeInput): PathScope {
  const own = i.paths.source === 'NOVA_HOME' ? dirname(i.paths.data) : i.paths.data;
  const roots = [own, ...i.configured.filter(isAbsolute)];
  // A user engine's own home; never "/" (the home of some system users), which would allow all.
  const home = i.env.HOME || homedir();
  if (i.uid !== 0 && isAbsolute(home) && real(home) !== '/') roots.push(home);
  const realRoots = roots.map(real);
  let base: string | undefined;
  if (i.project !== undefined) {
    if (!isAbsolute(i.project) && i.remote) throw refusedRelative(i.projectField ?? 'baseDir', i.project);
    base = i.remote ? i.project : resolve(i.project);
  } else if (!i.remote) base = process.cwd();
  // The person at the keyboard chose their project folder; an API caller's folder is only as
  // good as the root it sits under.
  if (base && !i.remote && !tooWide(real(base))) realRoots.push(real(base));
  return { roots: realRoots, prefsFile: dirs.prefsFile(i.paths), ...(base ? { base } : {}) };
}

const refusedRelative = (field: string, p: string) =>
  new NovaError('INVALID_INPUT', `${field}: "${p}" is relative, and an API call has no working directory: give an absolute path, or baseDir (the project folder)`, { field });

/** Resolves `p` (relative to the scope's base) and refuses it unless it lies under an allowed root. */
export function allowedPath(scope: PathScope, field: string, p: string, what: string): string {
  if (!isAbsolute(p) && !scope.base) throw refusedRelative(field, p);
  const abs = isAbsolute(p) ? resolve(p) : resolve(scope.base!, p);
  const where = real(abs);
  if (scope.roots.some((r) => within(where, r))) return abs;
  const shown = where === abs ? abs : `${abs} (really ${where})`;
  throw new NovaError(
    'PERMISSION',
    `${field}: ${what} ${shown} is outside the folders Nova may use (${scope.roots.join(', ')}): move it under one of them, ` +
      `or allow its folder on this host: nova config allow-root ${dirname(where)} (adds it to "allowedRoots" in ${scope.prefsFile})`,
    { field, path: abs, roots: scope.roots },
  );
}

const NETNS = /^\/(?:var\/)?run\/netns\/[^/]+$|^\/proc\/[1-9][0-9]*\/ns\/net$/;

/**
 * A netns given to network.attach: the veth's peer is moved there and addressed and routed from
 * inside (`nsenter --net=`). Only a named namespace (/run/netns/NAME) or one of the engine's own
 * user's processes (/proc/PID/ns/net), and never the namespace the engine's host side lives in —
 * otherwise a caller could re-address and re-route the host, or another user's namespace.
 */
export function checkNetns(netns: string, hostNs?: string): void {
  const refuse = (why: string): never => {
    throw new NovaError(
      'PERMISSION',
      `netns: ${netns} ${why}: give the capsule's own network namespace, /run/netns/NAME (ip netns add NAME) or /proc/PID/ns/net of a process of yours inside it`,
      { field: 'netns', path: netns },
    );
  };
  if (normalize(netns) !== netns || !NETNS.test(netns)) refuse('is not a network namespace path');
  const stat = (p: string) => {
    try {
      return statSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (p === netns) refuse('cannot be opened by this engine (a process of another user?)');
      return undefined;
    }
  };
  const st = stat(netns);
  if (!st) return; // "does not exist" is the handler's answer (with how to create it)
  const nsfs = statSync('/proc/self/ns/net');
  if (st.dev !== nsfs.dev) refuse('is not a network namespace (not an nsfs file)');
  const host = [nsfs, stat('/proc/1/ns/net'), hostNs ? stat(hostNs) : undefined];
  if (host.some((h) => h && h.ino === st.ino)) refuse("is the host's own network namespace");
  const pid = /^\/proc\/(\d+)\//.exec(netns)?.[1];
  const uid = process.getuid?.() ?? 0;
  if (pid && uid !== 0 && processUid(pid) !== uid) refuse('belongs to a process of another user');
}

const processUid = (pid: string): number | undefined => {
  try {
    return Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
};
