import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { keyAlias } from './keys.js';
import type { SshTarget } from './url.js';

// The system OpenSSH client carries every remote call: `ssh -N` (no remote command, so no login
// shell runs there) with two unix-socket forwards, to the remote `nova serve --socket` and to its
// `<socket>.token`. It reads the user's ~/.ssh/config, agent and keys; Nova only pins the host key
// (its own known_hosts, StrictHostKeyChecking=yes) and forbids prompts (BatchMode: no passwords).

export interface ForwardPaths {
  api: string;
  token: string;
}

/** Options Nova always sets; they override ~/.ssh/config (the command line wins in ssh). */
export function sshOptions(host: string, knownHosts: string): string[] {
  const o = {
    BatchMode: 'yes',
    StrictHostKeyChecking: 'yes',
    UserKnownHostsFile: knownHosts,
    GlobalKnownHostsFile: '/dev/null',
    HostKeyAlias: keyAlias(host),
    CheckHostIP: 'no',
    UpdateHostKeys: 'no',
    ExitOnForwardFailure: 'yes',
    StreamLocalBindUnlink: 'yes',
    StreamLocalBindMask: '0177',
    ConnectTimeout: '5',
    ServerAliveInterval: '3',
    ServerAliveCountMax: '2',
    ControlMaster: 'no',
    ControlPath: 'none',
    ForwardAgent: 'no',
    ForwardX11: 'no',
    PermitLocalCommand: 'no',
    ClearAllForwardings: 'no',
  };
  return Object.entries(o).flatMap(([k, v]) => ['-o', `${k}=${v}`]);
}

/** `ssh -N` (no remote command) forwarding each local unix socket to a remote one. */
export function streamArgv(host: string, t: SshTarget, knownHosts: string, pairs: { local: string; remote: string }[]): string[] {
  return ['ssh', '-N', '-T', ...sshOptions(host, knownHosts), ...pairs.flatMap((p) => ['-L', `${p.local}:${p.remote}`]), '-p', String(t.port), '-l', t.user, '--', t.address];
}

export const forwardArgv = (host: string, t: SshTarget, knownHosts: string, local: ForwardPaths): string[] =>
  streamArgv(host, t, knownHosts, [{ local: local.api, remote: t.socket }, { local: local.token, remote: `${t.socket}.token` }]);

/** What ssh's stderr says, as a reason a person can act on. */
export function explainSshFailure(host: string, stderr: string, code: number | null): string {
  const s = stderr.trim();
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|No .* host key is known/i.test(s)) {
    return `the SSH host key of "${host}" is not the one pinned when it was added (someone may be intercepting, or the host was reinstalled): check with its owner, then \`nova host rm ${host}\` and \`nova host add\` again`;
  }
  if (/Permission denied/i.test(s)) return `SSH refused the login (${s.split('\n').pop()}): load the key into ssh-agent or set IdentityFile in ~/.ssh/config (Nova never asks for passwords)`;
  if (/Connection refused|timed out|No route to host|Network is unreachable|Could not resolve/i.test(s)) return `cannot reach "${host}" over SSH (${s.split('\n').pop()})`;
  if (/forwarding|open failed|connect failed/i.test(s)) return `the remote nova serve is not listening (${s.split('\n').pop()}): run \`nova serve --socket\` on that host`;
  return `ssh exited (${code ?? 'signal'})${s ? `: ${s.split('\n').slice(-2).join(' ')}` : ''}`;
}

const isSocket = async (path: string): Promise<boolean> => (await lstat(path).catch(() => undefined))?.isSocket() ?? false;

export interface Forward {
  paths: ForwardPaths;
  child: ChildProcess;
  /** Resolves when ssh exits (the connection dropped or was closed), with its reason. */
  exited: Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts the forward and waits until its local sockets accept, or ssh exits (its reason becomes
 * the error), or `timeoutMs` passes. Local sockets live in a 0700 folder of ours, mode 0600.
 */
export async function openForward(host: string, t: SshTarget, knownHosts: string, runDir: string, timeoutMs = 10_000): Promise<Forward> {
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const id = `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const paths = { api: join(runDir, `${id}.sock`), token: join(runDir, `${id}.token`) };
  const f = await openStreamForwards(host, t, knownHosts, [{ local: paths.api, remote: t.socket }, { local: paths.token, remote: `${t.socket}.token` }], timeoutMs);
  return { ...f, paths };
}

export interface StreamForwards {
  child: ChildProcess;
  exited: Promise<string>;
  close(): Promise<void>;
}

/** `ssh -N` with one `-L local.sock:remote.sock` per pair; resolves once every local end exists. */
export async function openStreamForwards(host: string, t: SshTarget, knownHosts: string, pairs: { local: string; remote: string }[], timeoutMs = 10_000): Promise<StreamForwards> {
  const argv = streamArgv(host, t, knownHosts, pairs);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<string>((resolve) => {
    child.once('error', (e) => resolve(`cannot run ssh (${e.message}): install the OpenSSH client (Debian: openssh-client, Arch: openssh)`));
    child.once('exit', (code) => resolve(explainSshFailure(host, stderr, code)));
  });
  let gone: string | undefined;
  void exited.then((why) => (gone = why));
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    // ssh may linger on a busy machine while its channels close: closed means gone, not asked to go.
    const lingering = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 2000))]);
    if (lingering) {
      child.kill('SIGKILL');
      await exited;
    }
    await Promise.all(pairs.map((p) => rm(p.local, { force: true })));
  };
  const deadline = Date.now() + timeoutMs;
  // ssh creates the local sockets once authenticated (ExitOnForwardFailure makes it exit otherwise).
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    if (gone !== undefined) {
      await cleanup();
      throw new NovaError('HOST_UNSUPPORTED', `host "${host}": ${gone}`, { field: 'host', host });
    }
    if ((await Promise.all(pairs.map((p) => isSocket(p.local)))).every(Boolean)) break;
    if (Date.now() > deadline) {
      await cleanup();
      throw new NovaError('TIMEOUT', `host "${host}": the SSH forward to ${t.address} did not come up within ${timeoutMs / 1000}s${stderr.trim() ? ` (${stderr.trim().split('\n').pop()})` : ''}`, { field: 'host', host });
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, wait))]);
  }
  return { child, exited, close: cleanup };
}
