import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Peer } from './peer.js';

// May this caller do this verb group? Root always; otherwise polkit decides (pkcheck against the
// caller's pid + start time + uid, so the user's session agent can ask for a password). Where
// polkit is not running, members of the `--group` group are allowed and nobody else.

export type Decision = { allowed: true; via: 'root' | 'polkit' | 'group' } | { allowed: false; why: string; fix: string };

export interface AuthzOptions {
  /** The fallback group (`nova privd --group`), resolved to its gid at start. */
  group?: { name: string; gid: number };
  /** Default: `pkcheck` on PATH. */
  pkcheck?: string;
  env?: NodeJS.ProcessEnv;
  /** How long an agent's password dialog may take (default 120 s). */
  timeoutMs?: number;
}

/** pkcheck killed at the deadline: the agent's dialog was left unanswered. */
const UNANSWERED = -1;

/** pkcheck(1): 0 authorized, 1 not authorized, 2 needs authentication, 3 dismissed; 126/127 polkit unreachable or absent. */
function pkcheck(peer: Peer, action: string, opts: AuthzOptions): Promise<{ code: number; stderr: string }> {
  const argv = ['--action-id', action, '--process', `${peer.pid},${peer.start},${peer.uid}`, '--allow-user-interaction'];
  return new Promise((resolve) => {
    execFile(opts.pkcheck ?? 'pkcheck', argv, { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000 }, (err, _stdout, stderr) => {
      const code = err ? ((err as { killed?: boolean }).killed ? UNANSWERED : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stderr: String(stderr) });
    });
  });
}

export async function authorize(peer: Peer, action: string, opts: AuthzOptions = {}): Promise<Decision> {
  if (peer.uid === 0) return { allowed: true, via: 'root' };
  const r = await pkcheck(peer, action, opts);
  if (r.code === 0) return { allowed: true, via: 'polkit' };
  const grant = `ask an administrator to allow the polkit action ${action} for you (a rule in /etc/polkit-1/rules.d)`;
  if (r.code === 1) return { allowed: false, why: `polkit does not allow ${action} for this user`, fix: grant };
  if (r.code === 2) return { allowed: false, why: `polkit wants you to authenticate for ${action}, and no authentication agent answered`, fix: `run Nova from your desktop session (its polkit agent asks for the password), or ${grant}` };
  if (r.code === UNANSWERED) return { allowed: false, why: `the authentication for ${action} was not answered in time`, fix: 'try again and answer the password dialog' };
  if (r.code === 3) return { allowed: false, why: `the authentication for ${action} was dismissed`, fix: 'try again and authenticate' };
  // polkit is not running (or not installed): the group fallback.
  if (opts.group && peer.groups.includes(opts.group.gid)) return { allowed: true, via: 'group' };
  if (opts.group) return { allowed: false, why: `polkit is not running here and this user is not in the group "${opts.group.name}"`, fix: `an administrator adds you to it: usermod -aG ${opts.group.name} USER (then log in again)` };
  return { allowed: false, why: `polkit is not running here (${r.stderr.trim().split('\n')[0] || 'pkcheck unavailable'}) and nova privd has no --group fallback`, fix: 'start polkitd, or run nova privd with --group nova and join that group' };
}

/** The gid of a group by name (from /etc/group), for `--group`. */
export function groupGid(name: string, groupFile = '/etc/group'): number {
  for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new Error(`--group ${name}: no such group (create it: groupadd ${name})`);
}
