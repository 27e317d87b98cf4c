// `nova vm nic attach|detach VM NETWORK`: a VM on one more switch. A running VM gets the NIC
// hot-plugged (and loses it live); a stopped one gets it at the next start, and says so.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { collect } from '../output.js';

export function registerVmNic(ctx: CliContext, vm: Command): void {
  const nic = vm.command('nic').description('NICs on more switches: hot-plugged into a running VM, else at the next start');
  nic.command('attach <vm> <network>')
    .description('Attach the VM to a switch (hot-plug when it runs)')
    .option('-p, --port <host:guest>', 'port forward (repeatable)', collect)
    .action(async (name: string, network: string, o: { port?: string[] }) => {
      const r = await ctx.call('vm.nic.attach', { name, network, ports: o.port ?? [] });
      ctx.print(r, (v) => (v.state === 'attached'
        ? `Hot-plugged: ${v.name} on ${v.network} (${v.mac}${v.ip ? `, ${v.ip} by DHCP` : ''}, ${v.ifname})`
        : `Recorded: ${v.name} on ${v.network} (${v.mac}) — ${v.reason ?? 'applies at the next start'}`));
    });
  nic.command('detach <vm> <network>')
    .description('Detach the VM from a switch (unplugged live; waits for the guest to let go)')
    .action(async (name: string, network: string) => {
      const r = await ctx.call('vm.nic.detach', { name, network });
      ctx.print(r, (v) => (v.unplugged ? `Unplugged: ${v.name} from ${v.network}` : `Detached: ${v.name} from ${v.network}`));
    });
}
