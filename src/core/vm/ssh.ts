// `nova vm ssh NAME`: the system's OpenSSH client to a running guest, with the key Nova's
// cloud-init seed injected and the host key it pinned. The address comes from the guest agent
// (what the guest really has), else the switch's DHCP lease or reservation for the NIC's MAC; a
// user-mode NIC needs a port forward to guest port 22. The engine checks and builds the argv, the
// CLI runs it with its own terminal attached (like capsule.execArgv).
import { existsSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';
import type { VmContext } from './context.js';
import { vmFeatures } from './config/features.js';
import { guestInfo } from './guest.js';
import { declaredNics, forwards } from './nic-spec.js';
import { deriveState } from './state.js';
import { clientKeyPath, hostKeyAlias, knownHostsPath } from './ssh-keys.js';
import { loadRecord, vmDir } from './store.js';
import type { VmRecord } from './store.js';
import { findBinary } from '../sys/which.js';

export type SshVia = 'guest-agent' | 'dhcp-lease' | 'reservation' | 'port-forward';
export interface SshTarget {
  argv: string[];
  user: string;
  address: string;
  port: number;
  via: SshVia;
  /** The guest's host key is the one Nova made and put in its seed (StrictHostKeyChecking=yes). */
  pinned: boolean;
}

const usable = (a: string) => !a.startsWith('127.') && !a.startsWith('169.254.') && !a.includes(':');

/** The first NIC's IPv4 address and how it was found. */
async function addressOf(ctx: VmContext, rec: VmRecord): Promise<{ address: string; port: number; via: SshVia; tap: boolean }> {
  const nic = declaredNics(rec, vmFeatures(rec.spec).windows)[0];
  if (!nic) throw new NovaError('CONFLICT', `VM ${rec.name} has no NIC (network = "none"): give it network = "SWITCH" to reach it by SSH`, { field: 'network' });
  if (nic.network === 'user') {
    const fwd = forwards(nic).find((f) => f.guestPort === 22 && f.protocol === 'tcp');
    if (!fwd) throw new NovaError('CONFLICT', `VM ${rec.name} uses user-mode networking without a forward to port 22: add ports = ["2222:22"] (or put it on a switch: network = "SWITCH")`, { field: 'ports' });
    return { address: fwd.hostIp && fwd.hostIp !== '0.0.0.0' ? fwd.hostIp : '127.0.0.1', port: fwd.hostPort, via: 'port-forward', tap: false };
  }
  const mac = nic.mac.toLowerCase();
  const guest = await guestInfo(ctx, rec.name);
  if (guest.agent) {
    const iface = guest.interfaces?.find((i) => i.mac?.toLowerCase() === mac);
    const addr = iface?.addresses.map((a) => a.split('/')[0]!).find(usable);
    if (addr) return { address: addr, port: 22, via: 'guest-agent', tap: true };
  }
  const leases = await ctx.call('network.leases', { name: nic.network }).catch(() => ({ items: [] }));
  const mine = leases.items.filter((l) => l.mac.toLowerCase() === mac);
  const lease = mine.find((l) => !l.static) ?? mine[0];
  if (lease) return { address: lease.ip, port: 22, via: lease.static ? 'reservation' : 'dhcp-lease', tap: true };
  throw new NovaError('NOT_FOUND', `VM ${rec.name} has no address yet on "${nic.network}" (no guest agent answer, no DHCP lease for ${mac}): wait for it to boot, or check \`nova vm logs ${rec.name}\``, { field: 'name' });
}

/** Checks the VM and builds the ssh argv; `command` runs instead of a login shell. */
export async function sshTarget(ctx: VmContext, name: string, opts: { user?: string; command?: string[] } = {}): Promise<SshTarget> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await deriveState(ctx.paths, rec);
  if (st.state !== 'running') throw new NovaError('CONFLICT', `VM ${name} is ${st.state}: start it first (nova vm start ${name})`, { field: 'name' });
  const user = opts.user ?? rec.spec.cloud_init?.user;
  if (!user) {
    throw new NovaError('INVALID_INPUT', `say who to log in as: nova vm ssh ${name} --user USER (no cloud_init.user; a cloud image's default user is debian, ubuntu, fedora or arch)`, { field: 'user' });
  }
  const ssh = await findBinary('ssh');
  if (!ssh) throw new NovaError('HOST_UNSUPPORTED', 'nova vm ssh runs the system OpenSSH client: install it (Debian: apt install openssh-client)');
  const target = await addressOf(ctx, rec);
  const dir = vmDir(ctx.paths, name);
  const pinned = !rec.spec.cloud_init?.user_data && existsSync(knownHostsPath(dir));
  const key = clientKeyPath(ctx.paths);
  const argv = [
    ssh,
    ...(existsSync(key) ? ['-i', key, '-o', 'IdentitiesOnly=yes'] : []),
    // Pinned: the host key Nova made for this guest; else the first key seen, kept for this VM only.
    '-o', `UserKnownHostsFile=${pinned ? knownHostsPath(dir) : `${knownHostsPath(dir)}.seen`}`,
    '-o', `StrictHostKeyChecking=${pinned ? 'yes' : 'accept-new'}`,
    '-o', `HostKeyAlias=${hostKeyAlias(name)}`,
    '-o', 'ConnectTimeout=15',
    '-p', String(target.port), '-l', user,
    '--', target.address, ...(opts.command ?? []),
  ];
  // A TAP switch in the networks backend's netns (NOVA_NETNS) is reached from inside it.
  const wrapped = target.tap && ctx.netns ? ['ip', 'netns', 'exec', ctx.netns, ...argv] : argv;
  return { argv: wrapped, user, address: target.address, port: target.port, via: target.via, pinned };
}
