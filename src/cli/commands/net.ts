import type { Command } from 'commander';
import type { NetworkInfo } from '../../shared/contract/network.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { UsageError, details, table } from '../output.js';

// `nova net …` (alias `network`): switches, attachments, forwards, DNS, leases, captures, monitoring.

const collect = (v: string, prev: string[] = []) => [...prev, v];
type Owner = { kind: 'vm' | 'capsule'; name: string };

function ownerOf(o: { vm?: string; capsule?: string }): Owner {
  if (o.vm && o.capsule) throw new UsageError('give either --vm NAME or --capsule NAME, not both');
  if (o.vm) return { kind: 'vm', name: o.vm };
  if (o.capsule) return { kind: 'capsule', name: o.capsule };
  throw new UsageError('say who: --vm NAME or --capsule NAME');
}

const time = (ms?: number) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : undefined);
const profileOf = (n: NetworkInfo) => n.spec.profile ?? (n.spec.type === 'overlay' ? 'isolated' : 'nat');
const stateText = (n: NetworkInfo) => (n.reason ? `${n.state} (${n.reason})` : n.state);

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
    ['Overlay', n.spec.type === 'overlay' ? `${n.spec.driver} vni ${n.spec.vni ?? 'auto'} peers ${n.spec.peers.join(', ')}` : undefined],
    ['Project', n.project],
  ];
  const head = details(rows);
  const att = n.attachments.length
    ? `\n\n${table(n.attachments, [
        { header: 'OWNER', get: (a) => `${a.owner.kind}/${a.owner.name}` },
        { header: 'IFNAME', get: (a) => a.ifname },
        { header: 'MAC', get: (a) => a.mac },
        { header: 'IP', get: (a) => a.ip },
        { header: 'LINK', get: (a) => (a.attached ? 'up' : 'missing') },
      ])}`
    : '';
  const fw = n.forwards.length ? `\n\nForwards: ${n.forwards.map((f) => `${f.port} → ${f.owner.kind}/${f.owner.name}${f.target ? ` (${f.target})` : ''}`).join(', ')}` : '';
  return head + att + fw;
}

export function registerNetCommands(ctx: CliContext): void {
  const net = ctx.noun('net', 'Networks: switches, NAT, DHCP/DNS, forwards, captures, monitoring', ['network']);

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
    .option('--driver <driver>', 'overlay driver: vxlan (quic/wireguard: encrypted, where supported)')
    .option('--vni <n>', 'VXLAN network identifier', Number)
    .option('--peer <ip>', 'overlay peer underlay address (repeatable)', collect)
    .option('--local <ip>', 'this host\'s underlay address')
    .option('--project <name>', 'label as part of a NovaFile project')
    .action(async (name: string, o: Record<string, unknown>) => {
      const spec: Record<string, unknown> = { type: o.type };
      const map: [string, string][] = [['profile', 'profile'], ['uplink', 'uplink'], ['subnet', 'subnet'], ['dhcpRange', 'dhcp_range'], ['domain', 'domain'], ['mtu', 'mtu'], ['driver', 'driver'], ['vni', 'vni'], ['local', 'local']];
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

  net
    .command('attach <network>')
    .description('Attach a VM (TAP) or capsule (veth into --netns)')
    .option('--vm <name>')
    .option('--capsule <name>')
    .option('--netns <path>', 'capsule network namespace path, e.g. /run/netns/web')
    .option('--mac <mac>')
    .option('-p, --port <host:guest>', 'port forward (repeatable)', collect)
    .action(async (network: string, o: { vm?: string; capsule?: string; netns?: string; mac?: string; port?: string[] }) => {
      const r = await ctx.call('network.attach', { network, owner: ownerOf(o), ...(o.netns ? { netns: o.netns } : {}), ...(o.mac ? { mac: o.mac } : {}), ports: o.port ?? [] });
      ctx.print(r, (v) => `${v.ifname} ${v.mac}${v.ip ? ` ${v.ip}/${v.prefix} via ${v.gateway}` : ''}`);
    });

  net
    .command('detach <network>')
    .description('Remove an attachment (the address stays reserved unless --release)')
    .option('--vm <name>')
    .option('--capsule <name>')
    .option('--release', 'also give up the reserved address')
    .action(async (network: string, o: { vm?: string; capsule?: string; release?: boolean }) => {
      ctx.print(await ctx.call('network.detach', { network, owner: ownerOf(o), release: Boolean(o.release) }), () => 'Detached');
    });

  net
    .command('interfaces')
    .description('Host interfaces (candidates for --uplink and monitoring)')
    .action(async () => {
      const r = await ctx.call('network.interfaces', {});
      ctx.print(r, (v) => table(v.items, [
        { header: 'NAME', get: (i) => i.name },
        { header: 'KIND', get: (i) => i.kind ?? 'device' },
        { header: 'STATE', get: (i) => i.state },
        { header: 'ADDRESSES', get: (i) => i.addresses.join(', ') || undefined },
        { header: 'BRIDGE', get: (i) => i.master },
        { header: 'NOVA', get: (i) => (i.nova ? 'yes' : '') },
      ]));
    });

  net
    .command('leases <network>')
    .description('DHCP leases and static reservations')
    .action(async (name: string) => {
      const r = await ctx.call('network.leases', { name });
      ctx.print(r, (v) => table(v.items, [
        { header: 'IP', get: (l) => l.ip },
        { header: 'MAC', get: (l) => l.mac },
        { header: 'HOSTNAME', get: (l) => l.hostname },
        { header: 'TYPE', get: (l) => (l.static ? 'static' : 'dynamic') },
        { header: 'EXPIRES', get: (l) => time(l.expires) },
      ]));
    });

  registerForward(ctx, net.command('forward').description('Port forwards (DNAT with hairpin)'));
  registerDns(ctx, net.command('dns').description('DNS records served on a switch'));
  registerCapture(ctx, net.command('capture').description('Packet captures (tcpdump → pcap)'));
  registerMonitor(ctx, net.command('monitor').description('Interface counters, rates and offline alerts'));
}

function registerForward(ctx: CliContext, fw: Command): void {
  fw.command('add <network> <port>').description('e.g. forward add lab0 8080:80 --vm web').option('--vm <name>').option('--capsule <name>')
    .action(async (network: string, port: string, o: { vm?: string; capsule?: string }) => {
      const r = await ctx.call('network.forward.add', { network, owner: ownerOf(o), port });
      ctx.print(r, (v) => `Forwarding ${v.port} → ${v.target ?? v.owner.name}`);
    });
  fw.command('rm <network> <port>').description('Remove a port forward').option('--vm <name>').option('--capsule <name>')
    .action(async (network: string, port: string, o: { vm?: string; capsule?: string }) => {
      ctx.print(await ctx.call('network.forward.rm', { network, owner: ownerOf(o), port }), () => 'Removed');
    });
  fw.command('ls [network]').description('List port forwards').action(async (network?: string) => {
    const r = await ctx.call('network.forward.list', network ? { network } : {});
    ctx.print(r, (v) => table(v.items, [
      { header: 'NETWORK', get: (f) => f.network },
      { header: 'PORT', get: (f) => f.port },
      { header: 'OWNER', get: (f) => `${f.owner.kind}/${f.owner.name}` },
      { header: 'TARGET', get: (f) => f.target },
    ]));
  });
}

function registerDns(ctx: CliContext, dns: Command): void {
  dns.command('add <network> <name>').description('A record (--ip) or SRV record (--service _http._tcp --port 80)')
    .option('--ip <ip>').option('--service <svc>').option('--port <n>', 'SRV port', Number).option('--target <host>')
    .action(async (network: string, name: string, o: { ip?: string; service?: string; port?: number; target?: string }) => {
      ctx.print(await ctx.call('network.dns.add', { network, record: { name, ...o } }), () => `Added ${name}`);
    });
  dns.command('rm <network> <name>').description('Remove a DNS record').action(async (network: string, name: string) => {
    ctx.print(await ctx.call('network.dns.rm', { network, name }), () => `Removed ${name}`);
  });
}

function registerCapture(ctx: CliContext, cap: Command): void {
  cap.command('start <network>').description('Capture packets on a network into the captures folder').option('--duration <s>', 'stop after S seconds', Number).option('--filter <bpf>', 'BPF filter, e.g. "icmp or port 53"').option('--interface <iface>', 'capture on this interface instead of the bridge')
    .action(async (network: string, o: { duration?: number; filter?: string; interface?: string }) => {
      const r = await ctx.call('network.capture.start', { network, ...o });
      ctx.print(r, (c) => `Capturing ${c.id} → ${c.file}`);
    });
  cap.command('stop <id>').description('Stop a running capture').action(async (id: string) => {
    ctx.print(await ctx.call('network.capture.stop', { id }), (c) => `Stopped ${c.id}: ${c.packets} packets, ${formatBytes(c.size)}`);
  });
  cap.command('ls [network]').description('List captures (pcap files) with their size and packets').action(async (network?: string) => {
    const r = await ctx.call('network.capture.list', network ? { network } : {});
    ctx.print(r, (v) => (v.items.length ? table(v.items, [
      { header: 'ID', get: (c) => c.id },
      { header: 'STATE', get: (c) => (c.running ? 'capturing' : 'done') },
      { header: 'SIZE', get: (c) => formatBytes(c.size), align: 'right' },
      { header: 'PACKETS', get: (c) => c.packets, align: 'right' },
      { header: 'FIRST', get: (c) => time(c.first) },
      { header: 'LAST', get: (c) => time(c.last) },
    ]) : `No captures in ${v.dir}`));
  });
  cap.command('rm <id...>').description('Delete captures').action(async (ids: string[]) => {
    for (const id of ids) await ctx.call('network.capture.rm', { id });
    ctx.print({ removed: ids }, () => `Removed ${ids.join(', ')}`);
  });
}

function registerMonitor(ctx: CliContext, mon: Command): void {
  mon.command('ls').description('Monitored interfaces with counters and state').action(async () => {
    const r = await ctx.call('network.monitor.list', {});
    ctx.print(r, (v) => table(v.items, [
      { header: 'INTERFACE', get: (s) => s.interface },
      { header: 'STATE', get: (s) => (s.online ? 'online' : 'OFFLINE') },
      { header: 'RX', get: (s) => (s.rxBytes !== undefined ? formatBytes(s.rxBytes) : undefined), align: 'right' },
      { header: 'TX', get: (s) => (s.txBytes !== undefined ? formatBytes(s.txBytes) : undefined), align: 'right' },
      { header: 'ERRORS', get: (s) => (s.rxErrors ?? 0) + (s.txErrors ?? 0), align: 'right' },
      { header: 'POLL', get: (s) => `${s.settings.pollSeconds}s` },
      { header: 'OFFLINE AFTER', get: (s) => `${s.settings.offlineThreshold}s` },
      { header: 'NOTIFY', get: (s) => (s.settings.notify ? 'on' : 'muted') },
    ]));
  });
  mon.command('set <interface>').description('Poll interval, offline threshold, notification mute (persisted)')
    .option('--poll <s>', '5-60 seconds', Number).option('--offline-after <s>', 'seconds without carrier/counters', Number)
    .option('--mute', 'no notifications').option('--unmute').option('--remove', 'stop monitoring this interface')
    .action(async (iface: string, o: { poll?: number; offlineAfter?: number; mute?: boolean; unmute?: boolean; remove?: boolean }) => {
      const r = await ctx.call('network.monitor.set', {
        interface: iface,
        ...(o.poll !== undefined ? { pollSeconds: o.poll } : {}),
        ...(o.offlineAfter !== undefined ? { offlineThreshold: o.offlineAfter } : {}),
        ...(o.mute ? { notify: false } : o.unmute ? { notify: true } : {}),
        ...(o.remove ? { remove: true } : {}),
      });
      ctx.print(r, (s) => `${s.interface}: ${o.remove ? 'not monitored' : `poll ${s.settings?.pollSeconds}s, offline after ${s.settings?.offlineThreshold}s, notifications ${s.settings?.notify ? 'on' : 'muted'}`}`);
    });
}
