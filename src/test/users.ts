// Throwaway Unix users and groups for host tests that run Nova as an ordinary user
// (`setpriv --reuid`), removed again in afterAll.
import { execFileSync } from 'node:child_process';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
}

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

  /** argv prefix that runs a command as `u` with its groups (setpriv keeps the environment we pass). */
  static as(u: TestUser): string[] {
    return ['setpriv', `--reuid=${u.uid}`, `--regid=${u.gid}`, '--init-groups', '--'];
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
