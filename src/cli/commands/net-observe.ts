// Watching a network: packet captures and interface monitoring.
import type { Command } from 'commander';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { time } from './net-format.js';

export function registerCapture(ctx: CliContext, cap: Command): void {
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

export function registerMonitor(ctx: CliContext, mon: Command): void {
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
