// How `nova net …` prints a switch, and the --vm/--capsule owner flags its commands share.
import type { NetworkInfo } from '../../shared/contract/network.js';
import { UsageError, details, table } from '../output.js';

export type Owner = { kind: 'vm' | 'capsule'; name: string };

export function ownerOf(o: { vm?: string; capsule?: string }): Owner {
  if (o.vm && o.capsule) throw new UsageError('give either --vm NAME or --capsule NAME, not both');
  if (o.vm) return { kind: 'vm', name: o.vm };
  if (o.capsule) return { kind: 'capsule', name: o.capsule };
  throw new UsageError('say who: --vm NAME or --capsule NAME');
}

export const time = (ms?: number) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : undefined);
export const profileOf = (n: NetworkInfo) => n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat');
export const stateText = (n: NetworkInfo) => (n.reason ? `${n.state} (${n.reason})` : n.state);

export function formatNetwork(n: NetworkInfo): string {
  const rows: [string, string | undefined][] = [
    ['Name', n.name],
    ['State', stateText(n)],
    ['Type / profile', `${n.spec.type} / ${profileOf(n)}`],
    ['Bridge', n.bridge],
    ['Subnet', n.subnet],
    ['DHCP range', n.dhcpRange],
    ['Domain', n.spec.dns ? n.domain : 'DNS off'],
    ['Uplink', n.spec.uplink],
    ['Overlay', n.spec.type === 'overlay' ? `${n.spec.driver}${n.overlay?.mode ? ` (${n.overlay.mode})` : ''}, MTU ${n.overlay?.mtu ?? n.spec.mtu ?? '?'}${n.spec.driver === 'vxlan' ? `, vni ${n.spec.vni ?? 'auto'}` : ''}` : undefined],
    ['This host', n.overlay?.identity ? `${n.overlay.identity}@<this host>:${n.overlay.listenPort ?? '?'} (what the other hosts list in peers)` : undefined],
    ['Tunnel address', n.overlay?.tunnelAddress],
    ['Project', n.project],
  ];
  const head = details(rows);
  const att = n.attachments.length
    ? `\n\n${table(n.attachments, [
        { header: 'OWNER', get: (a) => `${a.owner.kind}/${a.owner.name}` },
        { header: 'IFNAME', get: (a) => a.ifname },
        { header: 'MAC', get: (a) => a.mac },
        { header: 'IP', get: (a) => a.ip },
        // From the kernel: a TAP nobody opened (QEMU not running, or never given it) has no carrier.
        { header: 'LINK', get: (a) => (!a.attached ? 'missing' : a.carrier === false ? 'no carrier' : a.carrier ? 'carrier' : 'up') },
      ])}`
    : '';
  type PeerRow = { peer: string; endpoint?: string; reachable: boolean; since?: number };
  const peerRows: PeerRow[] = n.overlay?.peers ?? n.spec.peers.map((peer) => ({ peer, reachable: false }));
  const peers = n.spec.type === 'overlay' && n.spec.peers.length
    ? `\n\n${table(peerRows, [
        { header: 'PEER', get: (p) => p.peer },
        { header: 'ENDPOINT', get: (p) => p.endpoint },
        { header: 'STATE', get: (p) => (p.reachable ? 'reachable' : 'unreachable') },
        { header: 'LAST CONTACT', get: (p) => time(p.since) ?? 'never' },
      ])}`
    : '';
  const fw = n.forwards.length ? `\n\nForwards: ${n.forwards.map((f) => `${f.port} → ${f.owner.kind}/${f.owner.name}${f.target ? ` (${f.target})` : ''}`).join(', ')}` : '';
  return head + peers + att + fw;
}

