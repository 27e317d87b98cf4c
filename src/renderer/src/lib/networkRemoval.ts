import type { NetworkInfo } from '../../../shared/contract/network.js';
import { call, errorCode, errorText } from './rpc';

// Removing a switch that VMs or capsules still use: who uses it, how each can let go, and the
// detach-then-remove run (pure parts tested in networkRemoval.test.ts).

type Owner = NetworkInfo['attachments'][number]['owner'];

/** One user of the switch as the removal dialog lists it. */
export interface SwitchUser {
  owner: Owner;
  ifname: string;
  /** The link exists on the host (only these make network.rm refuse without force). */
  live: boolean;
  /** What the kernel says: connected (carrier), no carrier (a stopped VM's TAP), link gone. */
  link: 'connected' | 'no carrier' | 'link gone';
  /**
   * How it lets go: a VM's extra NIC is unplugged (vm.nic.detach); a capsule's extra link or a
   * record of something gone is removed (network.detach); `definition`: the switch is named in
   * the instance's own definition (first NIC / network =), which only its owner can change.
   */
  how: 'vm.nic.detach' | 'network.detach' | 'definition';
  note: string;
}

/** What the dialog needs to know about each owner (undefined: it no longer exists). */
export interface OwnerFacts {
  state: string;
  /** The switch its definition names (VM spec.network, capsule network =). */
  defined?: string;
}

export function switchUsers(info: Pick<NetworkInfo, 'name' | 'attachments'>, facts: (o: Owner) => OwnerFacts | undefined): SwitchUser[] {
  return info.attachments.map((a) => {
    const f = facts(a.owner);
    const link = !a.attached ? 'link gone' : a.carrier ? 'connected' : 'no carrier';
    const base = { owner: a.owner, ifname: a.ifname, live: a.attached, link } as const;
    if (!f) return { ...base, how: 'network.detach', note: `${a.owner.kind} ${a.owner.name} no longer exists: its leftover link is removed` };
    if (f.defined === info.name) {
      return { ...base, how: 'definition', note: `its definition puts it on ${info.name}: change that (nova ${a.owner.kind === 'vm' ? 'vm update' : 'run'}, or its NovaFile), or remove anyway` };
    }
    if (a.owner.kind === 'vm') {
      const running = f.state === 'running' || f.state === 'paused';
      return { ...base, how: 'vm.nic.detach', note: running ? `the NIC is unplugged from the running VM (${f.state})` : `the NIC is dropped from the ${f.state} VM` };
    }
    return { ...base, how: 'network.detach', note: `its link is removed; the ${f.state} capsule keeps its other networks` };
  });
}

/** Whether "Detach and remove" can do it all, and if not, why (the user can still force). */
export function detachPlan(users: SwitchUser[]): { canDetach: boolean; blockers: SwitchUser[] } {
  const blockers = users.filter((u) => u.how === 'definition' && u.live);
  return { canDetach: blockers.length === 0, blockers };
}

/** Users, with what their owners' inspect says (in parallel; NOT_FOUND is "gone", other errors "unknown"). */
export async function loadSwitchUsers(info: NetworkInfo): Promise<SwitchUser[]> {
  const facts = new Map<string, OwnerFacts | undefined>();
  const inspect = (o: Owner): Promise<OwnerFacts> =>
    o.kind === 'vm'
      ? call('vm.inspect', { name: o.name }).then((v) => ({ state: v.state, ...(v.spec.network ? { defined: v.spec.network } : {}) }))
      : call('capsule.inspect', { name: o.name }).then((c) => ({ state: c.state, ...(c.spec.network ? { defined: c.spec.network } : {}) }));
  await Promise.all(
    info.attachments.map(async ({ owner: o }) => {
      const f = await inspect(o).catch((e: unknown) => (errorCode(e) === 'NOT_FOUND' ? undefined : { state: 'unknown' }));
      facts.set(`${o.kind}:${o.name}`, f);
    }),
  );
  return switchUsers(info, (o) => facts.get(`${o.kind}:${o.name}`));
}

/** Detaches every user that can let go, then removes the switch; stops at the first failure. */
export async function detachAndRemove(network: string, users: SwitchUser[], progress: (what: string) => void): Promise<void> {
  for (const u of users) {
    if (u.how === 'definition') continue;
    progress(`Detaching ${u.owner.kind} ${u.owner.name}…`);
    try {
      if (u.how === 'vm.nic.detach') await call('vm.nic.detach', { name: u.owner.name, network });
      else await call('network.detach', { network, owner: u.owner });
    } catch (e) {
      throw new Error(`detaching ${u.owner.kind} ${u.owner.name} failed: ${errorText(e)}`);
    }
  }
  progress(`Removing ${network}…`);
  await call('network.rm', { name: network });
}
