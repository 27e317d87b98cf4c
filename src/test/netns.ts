// Test helpers for network namespaces: every test gets unique names and unusual subnets, and
// cleans up every namespace and process it made (also on failure). Reusable by other areas.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export const suffix = () => randomBytes(3).toString('hex');

/** Runs a command, returns stdout; throws with stderr on failure. */
export function sh(argv: string[], opts: { allowFailure?: boolean; timeout?: number } = {}): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: opts.timeout ?? 20_000 });
  } catch (e) {
    if (opts.allowFailure) return `__FAILED__${String((e as { stderr?: string }).stderr ?? '')}`;
    throw new Error(`${argv.join(' ')} failed: ${String((e as { stderr?: string }).stderr ?? (e as Error).message)}`);
  }
}

export const inNs = (ns: string, argv: string[], opts?: { allowFailure?: boolean; timeout?: number }) => sh(['ip', 'netns', 'exec', ns, ...argv], opts);

/** Third octets in 10.213.x.0/24 that `ip route` does not show, `count` in a row. */
export function freeOctets(count: number): number[] {
  const routes = sh(['ip', '-j', 'route', 'show']);
  for (let tries = 0; tries < 50; tries++) {
    const start = 20 + Math.floor(Math.random() * (230 - count));
    const picked = Array.from({ length: count }, (_, i) => start + i);
    if (picked.every((o) => !routes.includes(`10.213.${o}.`))) return picked;
  }
  throw new Error('no free 10.213.x.0/24 block');
}

/** Tracks namespaces, processes and /etc/netns entries for one test file. */
export class NetnsLab {
  readonly namespaces: string[] = [];
  readonly pids: number[] = [];

  /** A fresh namespace with loopback up and a private resolv.conf (DHCP clients can't touch the host's). */
  add(name: string): string {
    mkdirSync(`/etc/netns/${name}`, { recursive: true });
    writeFileSync(`/etc/netns/${name}/resolv.conf`, '# nova test namespace\n');
    sh(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    sh(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces with addresses (an "underlay" or a wan link). */
  link(a: string, aIf: string, aCidr: string | undefined, b: string, bIf: string, bCidr: string | undefined): void {
    sh(['ip', '-n', a, 'link', 'add', aIf, 'type', 'veth', 'peer', 'name', bIf, 'netns', b]);
    if (aCidr) sh(['ip', '-n', a, 'addr', 'add', aCidr, 'dev', aIf]);
    if (bCidr) sh(['ip', '-n', b, 'addr', 'add', bCidr, 'dev', bIf]);
    sh(['ip', '-n', a, 'link', 'set', aIf, 'up']);
    sh(['ip', '-n', b, 'link', 'set', bIf, 'up']);
  }

  /** A long-running process inside a namespace, killed by pid at cleanup. */
  spawn(ns: string, argv: string[]): number {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: 'ignore', detached: true });
    child.unref();
    this.pids.push(child.pid!);
    return child.pid!;
  }

  /** Kills tracked pids, every process whose cmdline mentions one of `markers`, then the namespaces. */
  cleanup(markers: string[] = []): void {
    const victims = new Set(this.pids);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (markers.some((m) => m && cmd.includes(m))) victims.add(Number(entry));
    }
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const ns of this.namespaces) {
      sh(['ip', 'netns', 'del', ns], { allowFailure: true });
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
}
