// A running VM's IP addresses, for the VM list's IP column: the DHCP leases of the switches it
// is on (matched by MAC, no guest cooperation needed) and what its guest agent reports per
// interface (user-mode NAT has no lease to read). Loopback and link-local addresses are left out.
import type { VmAddress } from '../../shared/contract/vm.js';
import type { VmContext } from './context.js';
import { guestInfo } from './guest.js';
import { vmInfoOf } from './info.js';
import { loadRecord } from './store.js';

const usable = (ip: string) => !/^(127\.|169\.254\.|::1$|fe80:)/i.test(ip);

export async function vmAddresses(ctx: VmContext, name: string): Promise<{ name: string; addresses: VmAddress[]; reason?: string }> {
  const rec = await loadRecord(ctx.paths, name);
  const info = await vmInfoOf(ctx, rec, { cheap: true });
  if (info.state !== 'running') return { name, addresses: [], reason: `VM ${name} is ${info.state}: addresses exist while it runs` };
  const out: VmAddress[] = [];
  const add = (a: VmAddress) => usable(a.ip) && !out.some((x) => x.ip === a.ip) && out.push(a);
  // Switch NICs: the switch's dnsmasq leased it (first NIC on a switch, then the attached ones).
  const onSwitches = [
    ...(info.nic.kind === 'tap' && info.nic.network ? [{ network: info.nic.network, mac: rec.mac }] : []),
    ...(info.nics ?? []).filter((n) => n.state === 'attached').map((n) => ({ network: n.network, mac: n.mac })),
  ];
  for (const nic of onSwitches) {
    const leases = await ctx.call('network.leases', { name: nic.network }).catch(() => undefined);
    for (const l of leases?.items ?? []) if (l.mac.toLowerCase() === nic.mac.toLowerCase()) add({ ip: l.ip, source: 'dhcp', network: nic.network, mac: nic.mac });
  }
  const guest = await guestInfo(ctx, name);
  if (guest.agent) {
    for (const i of guest.interfaces ?? []) for (const a of i.addresses) add({ ip: a.replace(/\/\d+$/, ''), source: 'guest-agent', interface: i.name, ...(i.mac ? { mac: i.mac } : {}) });
  }
  const reason = out.length ? undefined : guest.agent ? 'the guest reports no address yet' : `no lease and ${guest.reason}`;
  return { name, addresses: out, ...(reason ? { reason } : {}) };
}
