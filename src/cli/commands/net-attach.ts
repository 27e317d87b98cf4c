// Who is on a switch and how to reach them: attach/detach, host interfaces, leases, forwards, DNS.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { collect, table } from '../output.js';
import { ownerOf, time } from './net-format.js';

export function registerNetAttachments(ctx: CliContext, net: Command): void {
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
}

export function registerForward(ctx: CliContext, fw: Command): void {
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

export function registerDns(ctx: CliContext, dns: Command): void {
  dns.command('add <network> <name>').description('A record (--ip) or SRV record (--service _http._tcp --port 80)')
    .option('--ip <ip>').option('--service <svc>').option('--port <n>', 'SRV port', Number).option('--target <host>')
    .action(async (network: string, name: string, o: { ip?: string; service?: string; port?: number; target?: string }) => {
      ctx.print(await ctx.call('network.dns.add', { network, record: { name, ...o } }), () => `Added ${name}`);
    });
  dns.command('rm <network> <name>').description('Remove a DNS record').action(async (network: string, name: string) => {
    ctx.print(await ctx.call('network.dns.rm', { network, name }), () => `Removed ${name}`);
  });
}

