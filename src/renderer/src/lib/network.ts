// The network create form as pure data → network.create input.

export interface NetForm {
  name: string;
  type: 'bridge' | 'overlay';
  profile: 'nat' | 'external' | 'isolated';
  subnet: string;
  dhcpStart: string;
  dhcpEnd: string;
  uplink: string;
  driver: 'vxlan' | 'wireguard';
  vni: string;
  peers: string;
}

export const emptyNetForm = (): NetForm => ({ name: '', type: 'bridge', profile: 'nat', subnet: '10.213.50.1/24', dhcpStart: '', dhcpEnd: '', uplink: '', driver: 'vxlan', vni: '', peers: '' });

const NET_NAME = /^[a-z0-9][a-z0-9_-]{0,14}$/;
const IP = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Suggests a DHCP range inside the subnet (.50–.150 of a /24-style gateway address). */
export function suggestRange(subnet: string): [string, string] | undefined {
  const [ip] = subnet.split('/');
  if (!ip || !IP.test(ip)) return undefined;
  const base = ip.split('.').slice(0, 3).join('.');
  return [`${base}.50`, `${base}.150`];
}

export function netProblems(f: NetForm): Partial<Record<keyof NetForm, string>> {
  const p: Partial<Record<keyof NetForm, string>> = {};
  if (!NET_NAME.test(f.name)) p.name = 'use 1-15 lowercase letters, digits, "-" or "_" (Linux interface names are short)';
  const [ip, len] = f.subnet.split('/');
  if (f.subnet && !(ip && IP.test(ip) && Number(len) >= 8 && Number(len) <= 30)) p.subnet = 'write a subnet like "192.168.220.1/24" (the address is the gateway)';
  if ((f.dhcpStart || f.dhcpEnd) && !(IP.test(f.dhcpStart) && IP.test(f.dhcpEnd))) p.dhcpStart = 'write both ends of the range, e.g. 10.213.50.50 and 10.213.50.150';
  if (f.profile === 'external' && !f.uplink) p.uplink = 'an external network needs the host interface to enslave (e.g. enp6s0)';
  if (f.type === 'overlay' && f.vni && !(Number(f.vni) >= 1 && Number(f.vni) <= 16_777_215)) p.vni = 'VNI: 1 to 16777215';
  return p;
}

/** The `spec` (z.input of networkSpec) for network.create. */
export function netSpec(f: NetForm): Record<string, unknown> {
  const spec: Record<string, unknown> = { type: f.type, profile: f.profile };
  if (f.subnet) spec.subnet = f.subnet;
  if (f.dhcpStart && f.dhcpEnd) spec.dhcp_range = `${f.dhcpStart}-${f.dhcpEnd}`;
  if (f.uplink && f.profile === 'external') spec.uplink = f.uplink;
  if (f.type === 'overlay') {
    spec.driver = f.driver;
    if (f.vni) spec.vni = Number(f.vni);
    const peers = f.peers.split(/[\s,]+/).filter(Boolean);
    if (peers.length) spec.peers = peers;
  }
  return spec;
}
