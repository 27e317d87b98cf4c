import { readlinkSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { findBuildOutput } from '../sys/assets.js';
import { findBinary } from '../sys/which.js';
import { parseSubIds } from '../host/subids.js';

// Capsules of an ordinary user run in a user namespace, as Podman's do: inside, root is the user
// and uids/gids 1…65536 are the user's subordinate ranges from /etc/subuid and /etc/subgid,
// mapped by the setuid newuidmap/newgidmap. The supervisor enters such a namespace (with its
// own mount namespace, where it mounts the overlay root) and runs crun/runc there; the OCI spec
// then asks for a nested user namespace whose mapping is the identity of the supervisor's.
// What must touch files owned by subordinate ids (unpacks, snapshot tars, removals) runs as root
// of the user's namespace (namespace-root.ts).

/** One extent of a uid_map/gid_map: `count` ids from `inside` map to `outside` one level up. */
export interface IdExtent {
  inside: number;
  outside: number;
  count: number;
}

export interface RootlessIds {
  user: string;
  uid: number;
  gid: number;
  uidMap: IdExtent[];
  gidMap: IdExtent[];
  newuidmap: string;
  newgidmap: string;
}

/** The subordinate ids a user gets inside (1…65536), as podman takes them by default. */
export const SUBORDINATE_IDS = 65536;

export const isRootless = (): boolean => (process.geteuid?.() ?? 0) !== 0;

/** 0 → the user's own id, then up to SUBORDINATE_IDS ids from the ranges. */
export function buildIdMap(own: number, ranges: { start: number; count: number }[], want = SUBORDINATE_IDS): IdExtent[] {
  const map: IdExtent[] = [{ inside: 0, outside: own, count: 1 }];
  let next = 1;
  for (const r of ranges) {
    const count = Math.min(r.count, want - (next - 1));
    if (count <= 0) break;
    map.push({ inside: next, outside: r.start, count });
    next += count;
  }
  return map;
}

/** "0:1000:1,1:100000:65536": how the native helpers take a map (newuidmap's triples). */
export const mapArg = (map: IdExtent[]) => map.map((e) => `${e.inside}:${e.outside}:${e.count}`).join(',');

/**
 * The OCI uidMappings/gidMappings of a capsule. The runtime runs inside the supervisor's
 * namespace, where these ids are interpreted, so the mapping is the identity, one entry per
 * extent of the supervisor's map (the kernel needs each range within one parent extent).
 */
export const specMappings = (map: IdExtent[]) => map.map((e) => ({ containerID: e.inside, hostID: e.inside, size: e.count }));

const FIX_SUBIDS = (user: string) =>
  `give ${user} subordinate ids: \`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}\` (Debian and Arch; useradd does it for new users)`;
const FIX_UIDMAP = 'install newuidmap/newgidmap: `sudo apt install uidmap` (Debian) or `sudo pacman -S shadow` (Arch)';

let cached: Promise<RootlessIds> | undefined;

/** The calling user's mapping, or HOST_UNSUPPORTED naming the fix. Read once per process. */
export function rootlessIds(env: NodeJS.ProcessEnv = process.env): Promise<RootlessIds> {
  cached ??= readRootlessIds(env).catch((e: unknown) => {
    cached = undefined; // a fixed host is seen on the next call
    throw e;
  });
  return cached;
}

async function readRootlessIds(env: NodeJS.ProcessEnv): Promise<RootlessIds> {
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  const user = userInfo().username;
  const [newuidmap, newgidmap] = await Promise.all([findBinary('newuidmap', env), findBinary('newgidmap', env)]);
  if (!newuidmap || !newgidmap) throw new NovaError('HOST_UNSUPPORTED', `rootless capsules need newuidmap and newgidmap: ${FIX_UIDMAP}`, { fix: FIX_UIDMAP });
  const [subuid, subgid] = await Promise.all(['/etc/subuid', '/etc/subgid'].map((f) => readFile(f, 'utf8').catch(() => '')));
  const uidRanges = parseSubIds(subuid!, user, uid);
  const gidRanges = parseSubIds(subgid!, user, uid);
  if (!uidRanges.length || !gidRanges.length) {
    const which = !uidRanges.length ? '/etc/subuid' : '/etc/subgid';
    throw new NovaError('HOST_UNSUPPORTED', `rootless capsules need subordinate ids: ${user} has none in ${which}; ${FIX_SUBIDS(user)}`, { fix: FIX_SUBIDS(user) });
  }
  return { user, uid, gid, uidMap: buildIdMap(uid, uidRanges), gidMap: buildIdMap(gid, gidRanges), newuidmap, newgidmap };
}

/** Whether newuidmap is there and setuid root (the check preflight shows). */
export async function setuidRoot(path: string): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  return Boolean(st && st.uid === 0 && st.mode & 0o4000);
}

export const USERNS_EXEC_MARK = 'nova-userns-exec';
let helper: string | undefined;
export function usernsExecBinary(): string {
  helper ??= findBuildOutput(join('native', USERNS_EXEC_MARK));
  if (!helper) throw new NovaError('HOST_UNSUPPORTED', `${USERNS_EXEC_MARK} is not built: run \`npm run build\` (it needs gcc and libc6-dev)`);
  return helper;
}

/** The supervisor's and the helper's mapping options. */
export const mapOptions = (ids: RootlessIds) => ['--newuidmap', ids.newuidmap, '--newgidmap', ids.newgidmap, '--uid-map', mapArg(ids.uidMap), '--gid-map', mapArg(ids.gidMap)];

/**
 * argv that runs a runtime verb inside the running supervisor's user namespace (as its root),
 * where the runtime created the capsule: runc exec must be there to hand the capsule its stdio.
 */
export const inSupervisorNamespace = (supervisor: number, argv: string[]) => ['nsenter', `--target=${supervisor}`, '--user', ...(ownNetns(supervisor) ? ['--net'] : []), '--', ...argv];

/** The supervisor holds the capsule's netns (pasta, a switch): exec must enter it too (after the user namespace). */
function ownNetns(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`) !== readlinkSync('/proc/self/ns/net');
  } catch {
    return false;
  }
}
