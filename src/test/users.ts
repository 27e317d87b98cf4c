// Throwaway Unix users and groups for host tests that run Nova as an ordinary user
// (`setpriv --reuid`), removed again in afterAll.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

/** argv prefix that runs a command as `u` with its groups (setpriv keeps the environment we pass). */
export const asUser = (u: TestUser): string[] => ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--'];

export class TestUsers {
  private users: string[] = [];
  private groups: string[] = [];

  group(name: string): string {
    execFileSync('groupadd', [name]);
    this.groups.push(name);
    return name;
  }

  /** A user without a home or login shell, with its own group, plus `groups`. */
  add(name: string, groups: string[] = []): TestUser {
    execFileSync('useradd', ['-M', '-U', '-s', '/usr/sbin/nologin', ...(groups.length ? ['-G', groups.join(',')] : []), name]);
    this.users.push(name);
    const id = (flag: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    return { name, uid: id('-u'), gid: id('-g') };
  }

  static as(u: TestUser): string[] {
    return asUser(u);
  }

  cleanup(): void {
    for (const u of this.users.splice(0)) execFileSync('userdel', [u], { stdio: 'ignore' });
    for (const g of this.groups.splice(0)) {
      try {
        execFileSync('groupdel', [g], { stdio: 'ignore' });
      } catch {
        // already gone with its user
      }
    }
  }
}

/** A user with a home and subordinate uid/gid ranges, for tests of what users do (rootless capsules). */
export interface HomeUser extends TestUser {
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

/** Created with useradd (which gives it subordinate ranges); remove() ends every process it left. */
export function createTestUser(prefix = 'nrl'): HomeUser {
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
  const user = { name, uid, gid };
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
    ...user,
    home: `/home/${name}`,
    subuid,
    as: asUser(user),
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
