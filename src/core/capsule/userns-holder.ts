import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { EngineContext } from '../context.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import { readSmall } from '../sys/small-files.js';
import { mapOptions, USERNS_EXEC_MARK, usernsExecBinary } from './rootless.js';
import type { RootlessIds } from './rootless.js';

// The user's namespace holder (what podman's rootless pause process is): one long-lived
// `nova-userns-exec --hold` per user (per Nova runtime folder) holding a user namespace mapped
// once by newuidmap/newgidmap. Each capsule supervisor joins it with setns (--join-userns)
// instead of running the two setuid helpers on every start. Its pid file, "PID INODE" (the
// namespace's inode, so a reused pid is not taken for it), is <runtime>/userns.pid (the runtime
// folder is the user's, under XDG_RUNTIME_DIR, 0700). The holder writes it itself, so an engine
// killed at any step leaves no holder no one finds; it exits when the file is removed or
// replaced (the runtime folder removed, e.g. at logout or with a NOVA_HOME), or when killed.
// Running capsules keep the namespace (their processes are in it); the next start makes a new
// holder. A supervisor that cannot join (the holder died since the check) maps its own.

export interface UsernsHolder {
  pid: number;
  /** The inode of /proc/PID/ns/user (nsfs), as a decimal string. */
  inode: string;
}

export const holderPidFile = (paths: NovaPaths) => join(paths.runtime, 'userns.pid');

/** The holder named by the pid file if it is still that process: ours, the holder, same namespace. */
export function liveHolder(paths: NovaPaths): UsernsHolder | undefined {
  const file = holderPidFile(paths);
  const [pidText, inode] = (readSmall(file) ?? '').trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0 || !inode) return undefined;
  try {
    if (String(statSync(`/proc/${pid}/ns/user`, { bigint: true }).ino) !== inode) return undefined;
    if (statSync(`/proc/${pid}`).uid !== process.getuid?.()) return undefined;
  } catch {
    return undefined;
  }
  const argv = (readSmall(`/proc/${pid}/cmdline`) ?? '').split('\0');
  if (!argv.some((a) => a.endsWith(USERNS_EXEC_MARK)) || argv[argv.indexOf('--hold') + 1] !== file) return undefined;
  return { pid, inode };
}

/**
 * The live holder, started when there is none. Two starts at once make one: the check and the
 * start are under a lock between processes (a kernel flock, dropped if its holder is killed).
 * undefined when it cannot be started: the supervisor then maps a namespace of its own and
 * reports why that fails, as before.
 */
export async function usernsHolder(engine: EngineContext, ids: RootlessIds): Promise<UsernsHolder | undefined> {
  const found = liveHolder(engine.paths);
  if (found) return found;
  return withLock(lockPath(engine.paths, 'userns', 'holder'), async () => liveHolder(engine.paths) ?? startHolder(engine.paths, ids), { holder: 'user namespace holder', timeoutMs: 30_000 }).catch(() => undefined);
}

async function startHolder(paths: NovaPaths, ids: RootlessIds): Promise<UsernsHolder | undefined> {
  await mkdir(paths.runtime, { recursive: true, mode: 0o700 });
  const file = holderPidFile(paths);
  const child = process.getBuiltinModule('node:child_process').spawn(usernsExecBinary(), [...mapOptions(ids), '--hold', file], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], cwd: '/' });
  const line = await new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      text += d;
      if (text.includes('\n')) resolve(text);
    });
    child.stdout!.on('close', () => resolve(text));
    child.on('error', () => resolve(''));
  });
  child.stdout!.destroy();
  child.unref();
  const [word, pid, inode] = line.trim().split(' ');
  if (word !== 'ready' || Number(pid) !== child.pid || !inode) return undefined;
  return { pid: child.pid, inode };
}

