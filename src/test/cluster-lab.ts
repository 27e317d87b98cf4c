// A lab of cluster hosts for tests and the bench: each host is a network namespace the lab
// creates (its veth on one bridge inside a switch namespace, so nothing touches the root
// namespace's network), with its own NOVA_HOME and a real `nova serve --socket` run as an
// unprivileged user (whose etcd member the engine starts). Calls go to each host's engine over
// its local API socket. Everything is named `nvc…`, addressed in 10.112.0.0/16, and removed by
// cleanup(): processes by the namespaces' pids, namespaces, the user, the folders.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { NetnsLab, sh, suffix } from './netns.js';
import { createTestUser } from './users.js';
import type { HomeUser } from './users.js';

const ROOT = join(import.meta.dirname, '..', '..');
const NOVA_BIN = join(ROOT, 'bin', 'nova.mjs');

export interface ClusterLabHost {
  name: string;
  ns: string;
  address: string;
  home: string;
  serve?: ChildProcess;
  out: string;
}

export class RpcError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ClusterLab {
  readonly id = suffix();
  readonly dir = mkdtempSync('/tmp/nvc-');
  readonly net = new NetnsLab();
  readonly hosts = new Map<string, ClusterLabHost>();
  readonly sw: string;
  readonly octet = 1 + Math.floor(Math.random() * 250);
  user!: HomeUser;

  constructor() {
    this.sw = this.net.add(`nvc-sw-${this.id}`);
    sh(['ip', '-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', '-n', this.sw, 'link', 'set', 'br0', 'up']);
    execFileSync('chmod', ['755', this.dir]);
    this.user = createTestUser('nvc');
  }

  /** A host namespace on the lab's bridge, with its NOVA_HOME (the user's, allowed to read the lab dir). */
  addHost(name: string, n: number): ClusterLabHost {
    const ns = this.net.add(`nvc-${name}-${this.id}`);
    sh(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `v${name}`, 'netns', this.sw]);
    sh(['ip', '-n', this.sw, 'link', 'set', `v${name}`, 'master', 'br0', 'up']);
    const address = `10.112.${this.octet}.${n}`;
    sh(['ip', '-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    const home = join(this.dir, name);
    mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [this.dir] }));
    execFileSync('chown', ['-R', `${this.user.uid}:${this.user.gid}`, home]);
    const h: ClusterLabHost = { name, ns, address, home, out: '' };
    this.hosts.set(name, h);
    return h;
  }

  host(name: string): ClusterLabHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  }

  /** `nova serve --socket` in the host's namespace as the lab user; resolves once it serves. */
  async startServe(name: string): Promise<void> {
    const h = this.host(name);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.user.home, NOVA_HOME: h.home, NOVA_FROM_SOURCE: process.env.NOVA_FROM_SOURCE ?? '' };
    // nsenter --net, not `ip netns exec`: that one also remounts /sys for the namespace, where
    // /sys/fs/cgroup is then no cgroup file system and capsules cannot start.
    const child = spawn('nsenter', [`--net=/run/netns/${h.ns}`, '--', ...this.user.as, process.execPath, NOVA_BIN, 'serve', '--socket'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    h.out = '';
    child.stdout!.on('data', (d: Buffer) => (h.out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (h.out += d.toString()));
    h.serve = child;
    const end = Date.now() + 90_000;
    while (!h.out.includes('Nova is serving')) {
      if (child.exitCode !== null) throw new Error(`nova serve on ${name} exited: ${h.out}`);
      if (Date.now() > end) throw new Error(`nova serve on ${name} did not start: ${h.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A dispatcher call on a host's engine over its local API socket (as the CLI would). */
  call<T = unknown>(name: string, method: string, params: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const h = this.host(name);
    const token = readFileSync(join(h.home, 'run', 'api.token'), 'utf8').trim();
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
    return new Promise<T>((resolve, reject) => {
      const req = request({ socketPath: join(h.home, 'run', 'api.sock'), path: '/rpc', method: 'POST', timeout: timeoutMs, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          const r = JSON.parse(text) as { result?: T; error?: { message: string; data?: { code?: string } } };
          if (r.error) reject(new RpcError(r.error.data?.code ?? 'ERROR', `${name} ${method}: ${r.error.message}`));
          else resolve(r.result as T);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${name} ${method}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * The host dies: every process in its namespace (its nova, etcd) and everything they started
   * (capsules live in namespaces of their own, below their supervisor), killed with -9.
   */
  kill(name: string): void {
    const h = this.host(name);
    for (let i = 0; i < 3; i++) {
      const roots = sh(['ip', 'netns', 'pids', h.ns], { allowFailure: true }).split('\n').filter((p) => /^\d+$/.test(p)).map(Number);
      if (!roots.length) break;
      for (const p of descendants(roots)) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    h.serve = undefined;
  }

  /** The host's link to the bridge, down or up (a partition). */
  setLink(name: string, up: boolean): void {
    sh(['ip', '-n', this.host(name).ns, 'link', 'set', 'eth0', up ? 'up' : 'down']);
  }

  cleanup(): void {
    for (const h of this.hosts.values()) this.kill(h.name);
    this.net.cleanup([this.dir]);
    this.user?.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `roots` and every process below them (by parent pid, read once from /proc). */
function descendants(roots: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited */
    }
  }
  const out = new Set<number>();
  const queue = [...roots];
  while (queue.length) {
    const p = queue.pop()!;
    if (out.has(p)) continue;
    out.add(p);
    queue.push(...(children.get(p) ?? []));
  }
  return [...out];
}

export const labId = suffix;
export const chownToUser = (path: string, u: HomeUser) => chownSync(path, u.uid, u.gid);
