// `nova net …` (alias `network`): switches, attachments, forwards, DNS, leases, captures, monitoring.
// One file per verb group; this one keeps the order the commands are listed in.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { collect, table } from '../output.js';
import { formatNetwork, profileOf, stateText } from './net-format.js';
import { registerDns, registerForward, registerNetAttachments } from './net-attach.js';
import { registerCapture, registerMonitor } from './net-observe.js';

function registerUpdate(ctx: CliContext, net: Command): void {
  net
    .command('update <name>')
    .description('Change a switch in place: overlay peers, DNS, domain, DHCP range (anything else: remove and recreate)')
    .option('--peer <peer>', 'the overlay\'s peers, replacing the list (repeatable)', collect)
    .option('--no-peers', 'remove every peer')
    .option('--domain <domain>', 'DNS domain')
    .option('--dns', 'serve DNS')
    .option('--no-dns', 'no DNS server on this switch')
    .option('--dhcp-range <a-b>', 'e.g. 192.168.220.50-192.168.220.150')
    .action(async (name: string, o: { peer?: string[]; peers?: boolean; domain?: string; dns?: boolean; dhcpRange?: string }) => {
      const cur = await ctx.call('network.inspect', { name });
      const spec: Record<string, unknown> = { ...cur.spec };
      if (o.peer) spec.peers = o.peer;
      else if (o.peers === false) spec.peers = [];
      if (o.domain !== undefined) spec.domain = o.domain;
      if (o.dns !== undefined) spec.dns = o.dns;
      if (o.dhcpRange !== undefined) spec.dhcp_range = o.dhcpRange;
      const r = await ctx.call('network.update', { name, spec, ...(cur.project ? { project: cur.project } : {}) });
      ctx.print(r, (n) => `Updated network ${n.name} — ${stateText(n)}`);
    });
}

function registerSwitches(ctx: CliContext, net: Command): void {
  net
    .command('create <name>')
    .description('Create a switch (bridge with nat/external/isolated profile, or a vxlan overlay)')
    .option('--type <type>', 'bridge or overlay', 'bridge')
    .option('--profile <profile>', 'nat, external or isolated')
    .option('--uplink <iface>', 'host interface: NAT egress (nat) or enslaved (external)')
    .option('--interface <iface>', 'extra host interface to enslave (repeatable)', collect)
    .option('--subnet <cidr>', 'bridge address and prefix, e.g. 192.168.220.1/24')
    .option('--dhcp-range <a-b>', 'e.g. 192.168.220.50-192.168.220.150')
    .option('--dns', 'serve DNS for attached VMs and capsules (default)')
    .option('--no-dns', 'no DNS server on this switch')
    .option('--domain <domain>', 'DNS domain (default <name>.nova)')
    .option('--mtu <n>', 'MTU', Number)
    .option('--driver <driver>', 'overlay driver: wireguard or quic (encrypted), vxlan (clear, trusted links only)')
    .option('--vni <n>', 'VXLAN network identifier', Number)
    .option('--peer <peer>', 'overlay peer (repeatable): vxlan "192.0.2.10"; wireguard "PUBLICKEY@host:port"', collect)
    .option('--listen-port <n>', 'wireguard/quic: this host\'s UDP port (wireguard default 51820)', Number)
    .option('--local <ip>', 'this host\'s underlay address')
    .option('--project <name>', 'label as part of a NovaFile project')
    .action(async (name: string, o: Record<string, unknown>) => {
      const spec: Record<string, unknown> = { type: o.type };
      const map: [string, string][] = [['profile', 'profile'], ['uplink', 'uplink'], ['subnet', 'subnet'], ['dhcpRange', 'dhcp_range'], ['domain', 'domain'], ['mtu', 'mtu'], ['driver', 'driver'], ['vni', 'vni'], ['local', 'local'], ['listenPort', 'listen_port']];
      for (const [from, to] of map) if (o[from] !== undefined) spec[to] = o[from];
      if (o.interface) spec.interfaces = o.interface;
      if (o.peer) spec.peers = o.peer;
      if (o.dns === false) spec.dns = false;
      const r = await ctx.call('network.create', { name, spec, ...(o.project ? { project: o.project as string } : {}) });
      ctx.print(r, (n) => `Created network ${n.name}: ${n.spec.type}/${profileOf(n)} ${n.subnet ?? ''} — ${stateText(n)}`);
    });

  net
    .command('rm <name...>')
    .alias('delete')
    .description('Delete switches and everything Nova made for them')
    .option('--force', 'even while VMs or capsules are attached (their links go too)')
    .action(async (names: string[], o: { force?: boolean }) => {
      for (const name of names) await ctx.call('network.rm', { name, force: Boolean(o.force) });
      ctx.print({ removed: names }, () => `Removed ${names.join(', ')}`);
    });

  net
    .command('ls')
    .alias('list')
    .description('Switches with their state')
    .option('--project <name>', 'only this NovaFile project')
    .action(async (o: { project?: string }) => {
      const r = await ctx.call('network.list', { project: o.project });
      ctx.print(r, (v) =>
        v.items.length === 0
          ? 'No networks. Create one: nova net create lab0 --profile nat --subnet 10.213.0.1/24'
          : table(v.items, [
              { header: 'NAME', get: (n) => n.name },
              { header: 'TYPE', get: (n) => n.spec.type },
              { header: 'PROFILE', get: (n) => profileOf(n) },
              { header: 'SUBNET', get: (n) => n.subnet },
              { header: 'STATE', get: (n) => stateText(n) },
              { header: 'ATTACHED', get: (n) => n.attached, align: 'right' },
            ]),
      );
    });

  net
    .command('inspect <name>')
    .description('One switch in detail')
    .action(async (name: string) => ctx.print(await ctx.call('network.inspect', { name }), formatNetwork));

  net
    .command('hydrate')
    .description('Converge the host with the saved switches (also done at engine start)')
    .action(async () => {
      const r = await ctx.call('network.hydrate', {});
      const failed = (v: typeof r) => v.failed.map((f) => `\nfailed: ${f.name}: ${f.reason}`).join('');
      ctx.print(r, (v) => `recreated: ${v.recreated.join(', ') || '-'}\nrepaired: ${v.repaired.join(', ') || '-'}\nremoved: ${v.removed.join(', ') || '-'}${failed(v)}`);
    });
}

export function registerNetCommands(ctx: CliContext): void {
  const net = ctx.noun('net', 'Networks: switches, NAT, DHCP/DNS, forwards, captures, monitoring', ['network']);
  registerSwitches(ctx, net);
  registerUpdate(ctx, net);
  registerNetAttachments(ctx, net);
  registerForward(ctx, net.command('forward').description('Port forwards (DNAT with hairpin)'));
  registerDns(ctx, net.command('dns').description('DNS records served on a switch'));
  registerCapture(ctx, net.command('capture').description('Packet captures (tcpdump → pcap)'));
  registerMonitor(ctx, net.command('monitor').description('Interface counters, rates and offline alerts'));
}
