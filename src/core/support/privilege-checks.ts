import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import type { PreflightCheck } from '../../shared/contract/support.js';
import { POLKIT_ACTIONS } from '../../shared/contract/privileged.js';
import { privdCall, privdSocket, startHelperFix } from '../privilege/client.js';
import { holdsCaps } from '../privilege/index.js';

// Preflight lines about who does the privileged steps: the helper (reachable?), what polkit
// grants this user, and whether their QEMU can use /dev/kvm.

const check = (id: string, title: string, status: PreflightCheck['status'], detail: string, fix?: string): PreflightCheck =>
  fix ? { id, title, status, detail, remedy: { debian: fix, arch: fix } } : { id, title, status, detail };

export async function helperCheck(env: NodeJS.ProcessEnv): Promise<PreflightCheck> {
  if (holdsCaps(['CAP_NET_ADMIN'])) return check('privd', 'Privileged helper', 'ok', 'not needed: this process holds CAP_NET_ADMIN and changes the host itself');
  try {
    await privdCall('switch.list', {}, env);
    return check('privd', 'Privileged helper', 'ok', `nova privd answers on ${privdSocket(env)}`);
  } catch (e) {
    return check('privd', 'Privileged helper', 'warn', `nova privd is not reachable (${(e as Error).message.split('. ')[0]}): networks, TAPs and captures cannot be changed from your user`, startHelperFix(env));
  }
}

type Grant = 'yes' | 'after authentication' | 'no' | 'unknown';

function pkcheck(action: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    execFile('pkcheck', ['--action-id', action, '--process', String(process.pid)], { env, timeout: 10_000 }, (err) =>
      resolve(err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0),
    );
  });
}

export async function polkitCheck(env: NodeJS.ProcessEnv): Promise<PreflightCheck> {
  if (process.getuid?.() === 0) return check('polkit', 'polkit actions', 'ok', 'root: every action is allowed');
  const actions = Object.values(POLKIT_ACTIONS);
  const codes = await Promise.all(actions.map((a) => pkcheck(a, env)));
  if (codes.every((c) => c >= 126)) {
    return check('polkit', 'polkit actions', 'warn', 'polkit is not running (or pkcheck is missing): nova privd allows only the members of its --group', 'install and start polkit (Debian: polkitd; Arch: polkit)');
  }
  const grant = (c: number): Grant => (c === 0 ? 'yes' : c === 2 ? 'after authentication' : c === 1 ? 'no' : 'unknown');
  const detail = actions.map((a, i) => `${a}: ${grant(codes[i]!)}`).join('; ');
  const blocked = actions.filter((_, i) => codes[i] === 1);
  return blocked.length
    ? check('polkit', 'polkit actions', 'warn', detail, `ask an administrator to allow ${blocked.join(', ')} for you (a rule in /etc/polkit-1/rules.d)`)
    : check('polkit', 'polkit actions', 'ok', detail);
}

export async function kvmAccessCheck(): Promise<PreflightCheck> {
  if (process.getuid?.() === 0) return check('kvm-access', 'Access to /dev/kvm', 'ok', 'root');
  const usable = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  if (usable) return check('kvm-access', 'Access to /dev/kvm', 'ok', 'your user may open /dev/kvm (kvm group)');
  const inGroup = await readFile('/etc/group', 'utf8').then((t) => t.split('\n').some((l) => l.startsWith('kvm:') && process.getgroups?.().includes(Number(l.split(':')[2]))), () => false);
  return check('kvm-access', 'Access to /dev/kvm', 'warn', inGroup ? 'in the kvm group, but /dev/kvm is not usable (no KVM on this host?)' : 'not in the kvm group: your VMs run without KVM (slow TCG)', 'an administrator adds you: `usermod -aG kvm USER`, then log in again');
}
