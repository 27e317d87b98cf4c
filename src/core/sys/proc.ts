import { readPidSmall, readSmall } from './small-files.js';

/** True when a process with this pid exists (ours or not). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readCmdline(pid: number, procRoot = '/proc'): Promise<string[] | undefined> {
  // Synchronous: a /proc read never blocks, and the pool round trips cost more than the read.
  const raw = readSmall(`${procRoot}/${pid}/cmdline`);
  return raw === undefined ? undefined : raw.split('\0').filter((s) => s.length > 0);
}

/**
 * A pidfile is only trusted when /proc/<pid>/cmdline still contains every needle (the binary
 * name, the resource's uuid): pids get reused, and a stale pidfile must not adopt a stranger.
 */
export async function processMatches(pid: number, needles: readonly string[], procRoot = '/proc'): Promise<boolean> {
  const argv = await readCmdline(pid, procRoot);
  if (!argv) return false;
  const joined = argv.join('\0');
  return needles.every((n) => joined.includes(n));
}

export async function readPidFile(path: string): Promise<number | undefined> {
  return readPidSmall(path);
}

/** SIGTERM, up to `ms` for it to exit, then SIGKILL. */
export async function killAndWait(pid: number, ms = 3000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + ms;
  while ((await running(pid)) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  if (await running(pid)) process.kill(pid, 'SIGKILL');
}

/** Alive and not a zombie (a daemon's parent is init, which may reap late in containers). */
async function running(pid: number): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  const stat = readSmall(`/proc/${pid}/stat`) ?? '';
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}
