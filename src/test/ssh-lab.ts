// A lab of Nova hosts for tests: each remote host is a network namespace the test creates, with
// its own sshd (started here, stopped by pid), and its own `nova serve --socket` run as an
// unprivileged user whose login shell is nologin (so every remote step must work without a shell).
// The local side is another unprivileged user with an ed25519 key. Everything is named `nho-…`
// (or the prefix given) and addressed in 10.123.0.0/16 (or 10.X); cleanup() removes it all.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { createTestUser } from './users.js';
import type { HomeUser } from './users.js';
import { NetnsLab, sh, suffix } from './netns.js';

const ROOT = join(import.meta.dirname, '..', '..');
export const NOVA_BIN = join(ROOT, 'bin', 'nova.mjs');

export interface LabHost {
  name: string;
  ns: string;
  address: string;
  /** The veth end in the root namespace (down = the host drops off the network). */
  hostIf: string;
  dir: string;
  novaHome: string;
  socket: string;
  url: string;
  sshdPid?: number;
  servePid?: number;
}

const waitFor = async (what: string, ok: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms;
  for (let d = 20; !ok(); d = Math.min(d * 2, 250)) {
    if (Date.now() > end) throw new Error(`lab: ${what} did not happen within ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, d));
  }
};

const listening = (ns: string, addr: string) => () => inNsOk(ns, ['ss', '-ltnH', `src ${addr}:22`]).includes(':22');
const inNsOk = (ns: string, argv: string[]) => {
  try {
    return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  } catch {
    return '';
  }
};

export interface SshLabOptions {
  /** Prefix of every name the lab makes (netns, links, users, folders); 3 letters. */
  prefix?: string;
  /** Second octet of the lab's 10.X.0.0/16. */
  net?: number;
  /** More environment for every remote `nova serve`. */
  serveEnv?: Record<string, string>;
  /**
   * Host A (the local side, where `nova()` runs) is a network namespace too, and every host's
   * veth is on one underlay bridge (in a namespace of its own) instead of the root namespace:
   * A is `.1` of the underlay's /24, the hosts `.2`, `.3`, … Nothing touches the root namespace's network.
   */
  underlay?: boolean;
  /** More environment for every local `nova` (e.g. NOVA_PRIVD_SOCKET). */
  localEnv?: Record<string, string>;
}

export class SshLab {
  readonly id = suffix();
  readonly prefix: string;
  readonly subnet: number;
  readonly dir: string;
  readonly net = new NetnsLab();
  readonly hosts = new Map<string, LabHost>();
  readonly children: ChildProcess[] = [];
  local!: HomeUser;
  remote!: HomeUser;
  localHome!: string;
  private octet = 1 + Math.floor(Math.random() * 200);
  /** Environment of every remote `nova serve` (a test may add to it before addHost). */
  readonly serveEnv: Record<string, string>;
  readonly localEnv: Record<string, string>;
  /** underlay mode: the bridge's namespace and host A's namespace. */
  underlayNs?: string;
  localNs?: string;
  /** underlay mode: host A's underlay address. */
  localAddress?: string;

  constructor(opts: SshLabOptions = {}) {
    this.prefix = opts.prefix ?? 'nho';
    this.subnet = opts.net ?? 123;
    this.serveEnv = opts.serveEnv ?? {};
    this.localEnv = opts.localEnv ?? {};
    this.dir = mkdtempSync(`/tmp/${this.prefix}-`);
    if (opts.underlay) {
      this.underlayNs = this.net.add(`${this.prefix}-u-${this.id}`);
      sh(['ip', '-n', this.underlayNs, 'link', 'add', 'br0', 'type', 'bridge']);
      sh(['ip', '-n', this.underlayNs, 'link', 'set', 'br0', 'up']);
      this.localNs = this.net.add(`${this.prefix}-a-${this.id}`);
      this.localAddress = `10.${this.subnet}.${this.octet}.1`;
      this.plug(this.localNs, `${this.prefix}a${this.id}`, `${this.localAddress}/24`);
    }
  }

  /** underlay mode: `ns`'s eth0 on the underlay bridge (`hostIf`: its end there). */
  private plug(ns: string, hostIf: string, cidr: string): void {
    sh(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', hostIf, 'netns', this.underlayNs!]);
    sh(['ip', '-n', this.underlayNs!, 'link', 'set', hostIf, 'master', 'br0', 'up']);
    sh(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', 'eth0']);
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  /** argv prefix that puts a local command into host A's namespace (underlay mode). */
  private get inLocal(): string[] {
    return this.localNs ? ['ip', 'netns', 'exec', this.localNs] : [];
  }

  /** The two users and the local key; call once. */
  setup(): void {
    chmodSync(this.dir, 0o755);
    this.local = createTestUser(`${this.prefix}l`);
    this.remote = createTestUser(`${this.prefix}r`);
    // nologin: nothing remote may need a shell. '*': no password, yet not "locked" (sshd without PAM refuses locked accounts).
    execFileSync('usermod', ['-s', '/usr/sbin/nologin', '-p', '*', this.remote.name]);
    const ssh = join(this.local.home, '.ssh');
    mkdirSync(ssh, { recursive: true, mode: 0o700 });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nho-test', '-f', join(ssh, 'id_ed25519')]);
    execFileSync('chown', ['-R', `${this.local.uid}:${this.local.gid}`, ssh]);
    this.localHome = join(this.dir, 'local');
    mkdirSync(this.localHome, { mode: 0o700 });
    chownSync(this.localHome, this.local.uid, this.local.gid);
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  }

  /** A remote host: namespace, veth to the root namespace, sshd, and nova serve --socket. */
  async addHost(name: string): Promise<LabHost> {
    const ns = this.net.add(`${this.prefix}-${name}-${this.id}`);
    const hostIf = `${this.prefix}${name}${this.id}`.slice(0, 15);
    let address: string;
    if (this.underlayNs) {
      address = `10.${this.subnet}.${this.octet}.${1 + this.hosts.size + 1}`;
      this.plug(ns, hostIf, `${address}/24`);
    } else {
      const o = this.octet++;
      sh(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      sh(['ip', 'addr', 'add', `10.${this.subnet}.${o}.1/30`, 'dev', hostIf]);
      sh(['ip', 'link', 'set', hostIf, 'up']);
      sh(['ip', '-n', ns, 'addr', 'add', `10.${this.subnet}.${o}.2/30`, 'dev', 'eth0']);
      sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      address = `10.${this.subnet}.${o}.2`;
    }
    const dir = join(this.dir, name);
    mkdirSync(dir, { mode: 0o755 });
    const novaHome = join(dir, 'nova');
    mkdirSync(novaHome, { mode: 0o700 });
    chownSync(novaHome, this.remote.uid, this.remote.gid);
    const socket = join(novaHome, 'run', 'serve.sock');
    const h: LabHost = { name, ns, address, hostIf, dir, novaHome, socket, url: `ssh://${this.remote.name}@${address}${socket}` };
    this.hosts.set(name, h);
    this.newHostKey(h);
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(this.local.home, '.ssh', 'id_ed25519.pub')));
    writeFileSync(join(dir, 'sshd_config'), this.sshdConfig(h));
    await this.startSshd(h);
    await this.startServe(h);
    return h;
  }

  private sshdConfig(h: LabHost): string {
    return [
      `ListenAddress ${h.address}`, 'Port 22', `HostKey ${join(h.dir, 'host_key')}`, `PidFile ${join(h.dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(h.dir, 'authorized_keys')}`, 'StrictModes no', 'UsePAM no', 'PasswordAuthentication no',
      'KbdInteractiveAuthentication no', `AllowUsers ${this.remote.name}`,
      // sshd lets a streamlocal forward through only when TCP forwarding (local at least) is allowed too.
      'AllowStreamLocalForwarding local', 'AllowTcpForwarding local',
      'PermitTTY no', 'X11Forwarding no', 'LogLevel VERBOSE', '',
    ].join('\n');
  }

  /** A fresh host key for `h` (the next sshd start offers it: the pinned key no longer matches). */
  newHostKey(h: LabHost): void {
    rmSync(join(h.dir, 'host_key'), { force: true });
    rmSync(join(h.dir, 'host_key.pub'), { force: true });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(h.dir, 'host_key')]);
  }

  fingerprint(h: LabHost): string {
    return execFileSync('ssh-keygen', ['-lf', join(h.dir, 'host_key.pub')], { encoding: 'utf8' }).split(/\s+/)[1]!;
  }

  async startSshd(h: LabHost): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', h.ns, '/usr/sbin/sshd', '-D', '-e', '-f', join(h.dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => writeFileSync(join(h.dir, 'sshd.log'), d, { flag: 'a' }));
    this.children.push(child);
    h.sshdPid = child.pid;
    await waitFor(`sshd in ${h.ns}`, listening(h.ns, h.address));
  }

  async stopSshd(h: LabHost): Promise<void> {
    const child = this.children.find((c) => c.pid === h.sshdPid);
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }

  async startServe(h: LabHost): Promise<void> {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.remote.home, NOVA_HOME: h.novaHome, NOVA_FROM_SOURCE: process.env.NOVA_FROM_SOURCE ?? '', ...this.serveEnv };
    const child = spawn('ip', ['netns', 'exec', h.ns, ...this.remote.as, process.execPath, NOVA_BIN, 'serve', '--socket', h.socket], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    this.children.push(child);
    h.servePid = child.pid;
    await waitFor(`nova serve on ${h.socket} (${out})`, () => out.includes('Nova is serving') || child.exitCode !== null, 60_000);
    if (child.exitCode !== null) throw new Error(`nova serve for ${h.name} exited: ${out}`);
  }

  /** Runs `nova ARGS` as the local user with the lab's local NOVA_HOME; never throws. */
  nova(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.novaProcess(args, env).done;
  }

  /** `nova ARGS` as the local user, with its process (setpriv execs: the pid is nova's). */
  novaProcess(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number; stdout: string; stderr: string }> } {
    const e = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.local.home, NOVA_HOME: this.localHome, NOVA_FROM_SOURCE: process.env.NOVA_FROM_SOURCE ?? '', ...this.localEnv, ...env };
    const argv = [...this.inLocal, ...this.local.as, process.execPath, NOVA_BIN, ...args];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: e });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => child.on('exit', (code, sig) => resolve({ code: code ?? (sig ? 128 : -1), stdout, stderr })));
    return { child, done };
  }

  /**
   * `nova serve` on loopback as the local user (the app's engine, which reaches the lab's hosts
   * over SSH); resolves with its URL and token, and a call() over HTTP /rpc. In underlay mode it
   * runs in host A's namespace, where this process cannot reach its loopback: the URL is then
   * `ws+unix://SOCKET:` (its 0600 unix socket, which connectNode() takes as well).
   * `stop()` ends it (new `nova` processes then build their own engine again).
   */
  async serveLocal(): Promise<{ url: string; token: string; call<T = unknown>(method: string, params?: unknown): Promise<T>; stop(): Promise<void> }> {
    const tokenFile = join(this.localHome, 'e2e.token');
    const token = randomBytes(24).toString('base64url');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    chownSync(tokenFile, this.local.uid, this.local.gid);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.local.home, NOVA_HOME: this.localHome, NOVA_FROM_SOURCE: process.env.NOVA_FROM_SOURCE ?? '' };
    const socket = this.localNs ? join(this.localHome, 'app', 'serve.sock') : undefined;
    const argv = [...this.inLocal, ...this.local.as, process.execPath, NOVA_BIN, 'serve', '--port', '0', '--token-file', tokenFile, ...(socket ? ['--socket', socket] : [])];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    this.children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(`local nova serve (${out})`, () => /serving on http/.test(out) || child.exitCode !== null, 60_000);
    const http = /serving on (http:\/\/\S+)/.exec(out)?.[1];
    if (!http) throw new Error(`local nova serve did not start: ${out}`);
    const url = socket ? `ws+unix://${socket}:` : http;
    const call = async <T,>(method: string, params: unknown = {}): Promise<T> => {
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const text = socket
        ? await new Promise<string>((resolve, reject) => {
            const req = request({ socketPath: socket, path: '/rpc', method: 'POST', headers: { ...headers, host: 'localhost' } }, (res) => {
              let b = '';
              res.on('data', (d: Buffer) => (b += d.toString()));
              res.on('end', () => resolve(b));
            });
            req.on('error', reject);
            req.end(body);
          })
        : await (await fetch(`${http}/rpc`, { method: 'POST', headers, body })).text();
      const answer = JSON.parse(text) as { result?: T; error?: { message: string } };
      if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
      return answer.result as T;
    };
    const stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    };
    return { url, token, call, stop };
  }

  setLink(h: LabHost, up: boolean): void {
    sh(['ip', ...(this.underlayNs ? ['-n', this.underlayNs] : []), 'link', 'set', h.hostIf, up ? 'up' : 'down']);
  }

  cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (!this.underlayNs) for (const h of this.hosts.values()) sh(['ip', 'link', 'del', h.hostIf], { allowFailure: true });
    this.net.cleanup([this.dir]);
    this.local?.remove();
    this.remote?.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
