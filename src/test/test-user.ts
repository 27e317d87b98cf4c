// An ordinary user for tests of what users do (rootless capsules): created with useradd (which
// gives it subordinate uid/gid ranges), removed afterwards with every process it left.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** The user's subordinate uid range (from /etc/subuid). */
  subuid: { start: number; count: number };
  /** argv prefix that runs a command as this user. */
  as: string[];
  /** Pids of live processes whose uid is the user's or one of its subordinate ids. */
  processes(): { pid: number; uid: number; cmd: string }[];
  remove(): void;
}

const uidOf = (pid: string) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? -1);

export function createTestUser(prefix = 'nrl'): TestUser {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  const line = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) {
    execFileSync('usermod', ['--add-subuids', '300000-365535', '--add-subgids', '300000-365535', name]);
  }
  const [, start, count] = (line ?? `${name}:300000:65536`).split(':');
  const subuid = { start: Number(start), count: Number(count) };
  const mine = (u: number) => u === uid || (u >= subuid.start && u < subuid.start + subuid.count);
  const processes = () => {
    const out: { pid: number; uid: number; cmd: string }[] = [];
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const u = uidOf(p);
        if (mine(u)) out.push({ pid: Number(p), uid: u, cmd: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
      } catch {
        /* gone meanwhile */
      }
    }
    return out;
  };
  return {
    name,
    uid,
    gid,
    home: `/home/${name}`,
    subuid,
    as: ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'],
    processes,
    remove() {
      for (let i = 0; i < 3; i++) {
        const left = processes();
        if (!left.length) break;
        for (const p of left) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
        }
      }
      execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
    },
  };
}
