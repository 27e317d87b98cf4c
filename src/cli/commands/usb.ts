// `nova usb ls` (the host's USB devices and which VM holds each) and
// `nova vm usb attach|detach VM DEVICE` (passthrough to a running VM).
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

export function registerUsbCommands(ctx: CliContext): void {
  const usb = ctx.noun('usb', 'Host USB devices for passthrough to VMs');
  usb.command('list').alias('ls').description('USB devices of this host (sysfs; names from usb.ids) and the VM holding each')
    .action(async () => {
      const r = await ctx.call('usb.list', {});
      ctx.print(r, (x) => (x.items.length === 0 ? 'No USB devices on this host' : table(x.items, [
        { header: 'ID', get: (d) => d.id },
        { header: 'PORT', get: (d) => d.port },
        { header: 'BUS/ADDR', get: (d) => `${d.bus}/${d.address}` },
        { header: 'NAME', get: (d) => [d.vendorName ?? d.manufacturer, d.productName ?? d.product].filter(Boolean).join(' ') || '-' },
        { header: 'VM', get: (d) => d.vm ?? (d.hub ? 'hub' : '-') },
      ])));
    });
}

export function registerVmUsb(ctx: CliContext, vm: Command): void {
  const usb = vm.command('usb').description('Pass host USB devices to a running VM (declare them in usb = [...] to have them at start)');
  usb.command('attach <vm> <device>').description('Attach a device (vendor:product or its port, see `nova usb ls`)')
    .action(async (name: string, device: string) => {
      const r = await ctx.call('vm.usb.attach', { name, device });
      ctx.print(r, (v) => `Attached: USB ${v.device.id} (${v.device.port}) to ${v.name}`);
    });
  usb.command('detach <vm> <device>').description('Give a device back to the host')
    .action(async (name: string, device: string) => {
      const r = await ctx.call('vm.usb.detach', { name, device });
      ctx.print(r, (v) => `Detached: USB ${v.device} from ${v.name}`);
    });
}
