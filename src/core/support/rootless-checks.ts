import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { PreflightCheck } from '../../shared/contract/support.js';
import type { CgroupInfo } from '../host/cgroups.js';
import { cgroupDelegation } from '../capsule/delegation.js';
import { setuidRoot, SUBORDINATE_IDS } from '../capsule/rootless.js';
import { parseSubIds } from '../host/subids.js';
import { findBinary } from '../sys/which.js';
import { pastaCheck } from './pasta-check.js';

// Preflight's "rootless capsules" section: what an ordinary user's capsules need from the host
// (subordinate ids, setuid newuidmap/newgidmap, user namespaces, cgroup v2 delegation). The
// per-user lines are about the caller; root's own capsules need none of it, so as root they are
// informational and the host-wide lines are warnings at most.

/** Where the facts are read from (tests point these at fixture files). */
export interface RootlessProbe {
  subuid: string;
  subgid: string;
  maxUserNamespaces: string;
  unprivilegedUsernsClone: string;
  apparmorRestrictUserns: string;
  env: NodeJS.ProcessEnv;
  uid: number;
  user: string;
  cgroup: CgroupInfo;
}

export const defaultProbe = (env: NodeJS.ProcessEnv, cgroup: CgroupInfo): RootlessProbe => ({
  subuid: '/etc/subuid',
  subgid: '/etc/subgid',
  maxUserNamespaces: '/proc/sys/user/max_user_namespaces',
  unprivilegedUsernsClone: '/proc/sys/kernel/unprivileged_userns_clone',
  apparmorRestrictUserns: '/proc/sys/kernel/apparmor_restrict_unprivileged_userns',
  env,
  uid: process.getuid?.() ?? 0,
  user: userInfo().username,
  cgroup,
});

const SECTION = 'Rootless capsules';
const line = (id: string, what: string, status: PreflightCheck['status'], detail: string, remedy?: PreflightCheck['remedy']): PreflightCheck =>
  remedy ? { id, title: `${SECTION}: ${what}`, status, detail, remedy } : { id, title: `${SECTION}: ${what}`, status, detail };
const readText = (p: string) => readFile(p, 'utf8').then((t) => t.trim(), () => undefined);

export async function subIdsCheck(p: RootlessProbe): Promise<PreflightCheck> {
  const id = 'rootless-subids';
  if (p.uid === 0) return line(id, 'subordinate ids', 'ok', 'root: capsules run without a user namespace (each desktop user needs ranges in /etc/subuid and /etc/subgid)');
  const [uids, gids] = await Promise.all([p.subuid, p.subgid].map(async (f) => parseSubIds((await readText(f)) ?? '', p.user, p.uid)));
  const total = (rs: { count: number }[]) => rs.reduce((n, r) => n + r.count, 0);
  const fix = {
    debian: `\`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${p.user}\` (useradd gives new users ranges), then log in again`,
    arch: `\`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${p.user}\`, then log in again`,
  };
  const missing = [...(uids!.length ? [] : ['/etc/subuid']), ...(gids!.length ? [] : ['/etc/subgid'])];
  if (missing.length) return line(id, 'subordinate ids', 'fail', `${p.user} has no range in ${missing.join(' or ')}: your capsules cannot start`, fix);
  const detail = `${p.user}: ${total(uids!)} subordinate uids, ${total(gids!)} gids`;
  if (total(uids!) < SUBORDINATE_IDS || total(gids!) < SUBORDINATE_IDS) {
    return line(id, 'subordinate ids', 'warn', `${detail}: fewer than ${SUBORDINATE_IDS}, so images with higher owners (nobody = 65534) cannot unpack`, fix);
  }
  return line(id, 'subordinate ids', 'ok', detail);
}

/** getcap's verdict where the distribution grants cap_setuid as a file capability instead of setuid. */
function hasSetidCaps(path: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  return new Promise((resolve) => execFile('getcap', [path], { env, timeout: 5000 }, (err, out) => resolve(!err && /cap_set[ug]id/.test(out))));
}

export async function uidmapCheck(p: RootlessProbe): Promise<PreflightCheck> {
  const id = 'rootless-uidmap';
  const status = p.uid === 0 ? 'warn' : 'fail';
  const paths = await Promise.all(['newuidmap', 'newgidmap'].map((b) => findBinary(b, p.env)));
  const absent = ['newuidmap', 'newgidmap'].filter((_, i) => !paths[i]);
  if (absent.length) {
    return line(id, 'newuidmap/newgidmap', status, `${absent.join(' and ')} not found: ordinary users cannot map their subordinate ids`, {
      debian: 'sudo apt install uidmap',
      arch: 'sudo pacman -S shadow',
    });
  }
  const privileged = await Promise.all(paths.map(async (path) => (await setuidRoot(path!)) || (await hasSetidCaps(path!, p.env))));
  const plain = paths.filter((_, i) => !privileged[i]);
  if (plain.length) {
    return line(id, 'newuidmap/newgidmap', status, `${plain.join(' and ')} not setuid root (nor granted cap_setuid/cap_setgid): the mapping is refused`, {
      debian: 'sudo apt install --reinstall uidmap (or `sudo chmod u+s /usr/bin/newuidmap /usr/bin/newgidmap`)',
      arch: 'sudo pacman -S shadow (or `sudo chmod u+s /usr/bin/newuidmap /usr/bin/newgidmap`)',
    });
  }
  return line(id, 'newuidmap/newgidmap', 'ok', `${paths.join(', ')}: setuid root`);
}

const USERNS_FIX = {
  debian: '`printf "kernel.unprivileged_userns_clone=1\\nuser.max_user_namespaces=28633\\n" | sudo tee /etc/sysctl.d/50-nova-userns.conf && sudo sysctl --system`',
  arch: '`printf "kernel.unprivileged_userns_clone=1\\nuser.max_user_namespaces=28633\\n" | sudo tee /etc/sysctl.d/50-nova-userns.conf && sudo sysctl --system` (linux-hardened; the default linux kernel allows them)',
};

export async function usernsCheck(p: RootlessProbe): Promise<PreflightCheck> {
  const id = 'rootless-userns';
  const status = p.uid === 0 ? 'warn' : 'fail';
  const [max, clone, apparmor] = await Promise.all([p.maxUserNamespaces, p.unprivilegedUsernsClone, p.apparmorRestrictUserns].map(readText));
  if (max === undefined) return line(id, 'user namespaces', status, 'this kernel has no user namespaces (CONFIG_USER_NS)', USERNS_FIX);
  if (Number(max) === 0) return line(id, 'user namespaces', status, 'user.max_user_namespaces is 0: nobody may create a user namespace', USERNS_FIX);
  if (clone === '0') return line(id, 'user namespaces', status, 'kernel.unprivileged_userns_clone is 0: only root may create user namespaces', USERNS_FIX);
  if (apparmor === '1') {
    const fix = 'allow it for unconfined programs: `echo kernel.apparmor_restrict_unprivileged_userns=0 | sudo tee /etc/sysctl.d/50-nova-userns.conf && sudo sysctl --system`';
    return line(id, 'user namespaces', status, 'AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)', { debian: fix, arch: fix });
  }
  return line(id, 'user namespaces', 'ok', `allowed (max_user_namespaces ${max}${clone !== undefined ? `, unprivileged_userns_clone ${clone}` : ''})`);
}

const DELEGATE_DROPIN = '`sudo mkdir -p /etc/systemd/system/user@.service.d && printf "[Service]\\nDelegate=cpu cpuset io memory pids\\n" | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload`, then log in again';

export async function delegationCheck(p: RootlessProbe): Promise<PreflightCheck> {
  const id = 'rootless-cgroups';
  if (p.uid === 0) return line(id, 'cgroup delegation', 'ok', 'root: limits apply through the cgroups root manages');
  const d = await cgroupDelegation(p.cgroup);
  if (d.delegated) return line(id, 'cgroup delegation', 'ok', d.reason);
  return line(id, 'cgroup delegation', 'warn', `${d.reason}: your capsules run, but cpu/memory/pids/io limits are refused`, {
    debian: `${p.cgroup.layout === 'v2' ? '' : 'add `systemd.unified_cgroup_hierarchy=1` to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, `sudo update-grub`, reboot; then '}${DELEGATE_DROPIN}`,
    arch: `${p.cgroup.layout === 'v2' ? '' : 'remove `systemd.unified_cgroup_hierarchy=0` from the kernel parameters (v2 is the default), reboot; then '}${DELEGATE_DROPIN}`,
  });
}

/** The section, in the order a user fixes things. */
export function rootlessChecks(p: RootlessProbe): Promise<PreflightCheck[]> {
  return Promise.all([subIdsCheck(p), uidmapCheck(p), usernsCheck(p), delegationCheck(p), pastaCheck(p)]);
}
