import type { NovafileIssue } from '../../shared/contract/novafile.js';
import { parsePortForward } from '../../shared/schemas/fields.js';
import type { NovaFile } from '../../shared/schemas/novafile.js';
import { clusterKeyIssues } from './cluster-keys.js';

type Located = Omit<NovafileIssue, 'file' | 'line' | 'column'> & { at: (string | number)[] };

/** Checks that need the whole file: references between sections, clashes, ranges. */
export function crossCheck(nf: NovaFile): Located[] {
  const out: Located[] = clusterKeyIssues(nf);
  const declared = Object.keys(nf.network);
  const list = declared.length ? declared.map((n) => `"${n}"`).join(', ') : 'none yet';
  const checkNet = (kind: 'vm' | 'container', name: string, network: string | undefined, at: (string | number)[] = ['network']) => {
    // "user": a VM's user-mode NAT; "none": a VM without a NIC or a capsule with only loopback
    // (a NIC in `nics` on "none" is refused by the schema with its own fix).
    const builtIn = network === 'none' ? at.length === 1 : kind === 'vm' && network === 'user';
    if (!network || declared.includes(network) || builtIn) return;
    const path = [kind, name, ...at];
    out.push({
      at: path,
      path: path.join('.'),
      message: `network \`${network}\` is not declared`,
      fix: `add a [network.${network}] section or use a declared network (${list})${kind === 'vm' ? ', "user" for user-mode NAT' : ''}${at.length === 1 ? ', or "none" for no network' : ''}`,
    });
  };
  for (const [name, vm] of Object.entries(nf.vm)) {
    checkNet('vm', name, vm.network);
    (vm.nics ?? []).forEach((n, i) => checkNet('vm', name, n.network, ['nics', i, 'network']));
  }
  for (const [name, c] of Object.entries(nf.container)) checkNet('container', name, c.network);

  // VMs and capsules share one DNS namespace on a network.
  for (const name of Object.keys(nf.container)) {
    if (nf.vm[name]) {
      out.push({ at: ['container', name], path: `container.${name}`, message: `"${name}" is both a vm and a container`, fix: 'give one of them another name (names are DNS names)' });
    }
  }

  const hostPorts = new Map<string, string>();
  for (const kind of ['vm', 'container'] as const) {
    for (const [name, spec] of Object.entries(nf[kind])) {
      // A VM's NICs each forward their own ports (nics = [{ ports = [...] }]).
      const lists: [(string | number)[], string[]][] = [[['ports'], spec.ports as string[]]];
      if (kind === 'vm') (nf.vm[name]!.nics ?? []).forEach((n, i) => lists.push([['nics', i, 'ports'], n.ports]));
      for (const [at, ports] of lists) {
        ports.forEach((p, idx) => {
          const f = parsePortForward(p);
          const key = `${f.hostIp ?? '*'}:${f.hostPort}/${f.protocol}`;
          const owner = hostPorts.get(key);
          const where = [kind, name, ...at, idx];
          if (owner) {
            out.push({ at: where, path: where.join('.'), message: `host port ${f.hostPort}/${f.protocol} is already forwarded by ${owner}`, fix: 'pick another host port' });
          } else hostPorts.set(key, `${kind}.${name}`);
        });
      }
    }
  }

  for (const [name, n] of Object.entries(nf.network)) {
    if (!n.dhcp_range) continue;
    if (!n.subnet) {
      out.push({ at: ['network', name, 'dhcp_range'], path: `network.${name}.dhcp_range`, message: 'dhcp_range needs a subnet', fix: 'add subnet = "192.168.220.1/24"' });
      continue;
    }
    const [gw, len] = n.subnet.split('/') as [string, string];
    const [a, b] = n.dhcp_range.split('-') as [string, string];
    const inside = (ip: string) => sameNet(ip, gw, Number(len));
    if (!inside(a) || !inside(b) || toInt(a) > toInt(b)) {
      out.push({ at: ['network', name, 'dhcp_range'], path: `network.${name}.dhcp_range`, message: `dhcp_range ${n.dhcp_range} is not an ascending range inside ${n.subnet}`, fix: 'pick two addresses inside the subnet, low-high' });
    }
  }
  return out;
}

export const toInt = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
export function sameNet(ip: string, gw: string, len: number): boolean {
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(gw) & mask) >>> 0);
}
