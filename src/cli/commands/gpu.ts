import type { GpuCheck, GpuInfo } from '../../shared/contract/gpu.js';
import type { Output } from '../../shared/contract.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { details, table } from '../output.js';

const MARK: Record<GpuCheck['status'], string> = { ok: '✓', info: 'i', warn: '!', fail: '✗' };

export function formatChecks(checks: GpuCheck[]): string {
  return checks
    .map((c) => `  ${MARK[c.status]} ${c.title.padEnd(16)} ${c.reason}${c.fix && c.status !== 'ok' ? `\n    fix: ${c.fix}` : ''}`)
    .join('\n');
}

export function formatGpuInfo(g: GpuInfo): string {
  const rows: [string, string | undefined][] = [
    ['Address', g.address],
    ['Name', `${g.name}${g.device.chip ? ` (${g.device.chip})` : ''}`],
    ['Generation', `${g.generation}${g.integrated ? ', integrated' : ''}`],
    ['Ids', `${g.vendor.id}:${g.device.id} subsystem ${g.subsystem.vendorId}:${g.subsystem.deviceId}${g.subsystem.vendorName ? ` (${g.subsystem.vendorName})` : ''}`],
    ['Class', `${g.className} [${g.classCode.slice(0, 4)}]`],
    ['Driver', `${g.driver ?? 'none'}${g.driverOverride ? ` (override: ${g.driverOverride})` : ''}`],
    ['IOMMU group', g.iommuGroup === undefined ? 'none (IOMMU off)' : `${g.iommuGroup}: ${[g.address, ...g.groupMembers.map((m) => `${m.address} ${m.className}${m.driver ? ` [${m.driver}]` : ''}${m.bridge ? ' (bridge)' : ''}`)].join(', ')}`],
    ['Companions', g.companions.map((c) => `${c.address} ${c.kind} [${c.driver ?? 'no driver'}]`).join(', ') || 'none'],
    ['Reset', g.resetMethods.join(', ') || 'none'],
    ['Power', `${g.powerState ?? '?'}${g.d3coldAllowed !== undefined ? `, d3cold ${g.d3coldAllowed ? 'allowed' : 'off'}` : ''}`],
    ['Boot VGA', g.bootVga ? 'yes' : 'no'],
    ['Resizable BAR', g.rebar.supported ? `BAR${g.rebar.bar} ${formatBytes(g.rebar.currentBytes ?? 0)} of ${formatBytes(g.rebar.maxBytes ?? 0)}` : 'no'],
    ['SR-IOV', g.sriov ? `${g.sriov.numVfs}/${g.sriov.totalVfs} VFs${g.sriov.vfs.length ? ` (${g.sriov.vfs.join(', ')})` : ''}` : g.physfn ? `virtual function of ${g.physfn}` : undefined],
    ['Link', g.link ? `${g.link.speed ?? '?'} x${g.link.width ?? '?'}` : undefined],
    ['Claimed by', g.claimedBy ? `VM ${g.claimedBy}` : undefined],
    ['Display', g.displayHolders.length ? g.displayHolders.map((h) => `${h.comm} (pid ${h.pid}) ${h.node}`).join(', ') : undefined],
  ];
  return `${details(rows)}\n\nStatus: ${g.status}\n${formatChecks(g.checks)}`;
}

function formatActions(r: Output<'gpu.bind'>): string {
  return r.results
    .map((x) => (x.ok ? `✓ ${x.address}: ${x.message}` : `✗ ${x.address}: ${x.error?.code}: ${x.message}${x.error?.fix ? `\n  fix: ${x.error.fix}` : ''}`))
    .join('\n');
}

interface VmCtxOpts {
  memory?: string;
  hugepages?: boolean;
}
const vmCtx = (o: VmCtxOpts) => ({ ...(o.memory ? { memoryBytes: o.memory } : {}), ...(o.hugepages ? { hugepages: true } : {}) });

export function registerGpuCommands(ctx: CliContext): void {
  const gpu = ctx.noun('gpu', 'GPUs and VFIO passthrough: inventory, diagnostics, bind/unbind/reset');

  gpu
    .command('list')
    .alias('ls')
    .description('Every GPU: address, name, generation, driver, IOMMU group and diagnostics status')
    .option('--memory <size>', 'VM memory for the hugepages check (e.g. 16Gi)')
    .option('--hugepages', 'the VM requires hugepages')
    .option('--vendor <vendor>', 'only nvidia, amd or intel')
    .option('--status <status>', 'only ok, degraded or action-needed')
    .option('--driver <name>', 'only GPUs bound to this driver (e.g. vfio-pci)')
    .action(async (o: VmCtxOpts & { vendor?: string; status?: string; driver?: string }) => {
      const all = await ctx.call('gpu.list', vmCtx(o));
      const norm = (x: string) => x.toLowerCase().replace(/[\s_]+/g, '-');
      const r = {
        ...all,
        gpus: all.gpus.filter(
          (g) =>
            (!o.vendor || g.vendor.kind === o.vendor.toLowerCase()) &&
            (!o.status || norm(g.status) === norm(o.status)) &&
            (!o.driver || (g.driver ?? 'none') === o.driver),
        ),
      };
      ctx.print(r, (v) => {
        if (v.gpus.length === 0) return 'No GPUs found.';
        const t = table(v.gpus, [
          { header: 'ADDRESS', get: (g) => g.address },
          { header: 'NAME', get: (g) => `${g.name}${g.physfn ? ' (VF)' : ''}${g.claimedBy ? ` [vm ${g.claimedBy}]` : ''}` },
          { header: 'GENERATION', get: (g) => g.generation },
          { header: 'DRIVER', get: (g) => g.driver ?? 'none' },
          { header: 'GROUP', get: (g) => (g.iommuGroup === undefined ? '-' : `${g.iommuGroup}${g.companions.length ? ` (+${g.companions.length})` : ''}`) },
          { header: 'STATUS', get: (g) => g.status },
        ]);
        return v.iommu.enabled ? t : `${t}\n\nIOMMU is off: no GPU can be passed through (see \`nova gpu info ADDRESS\` for the fix).`;
      });
    });

  gpu
    .command('info <id>')
    .description('One GPU by PCI address or name ("5090"): details and every diagnostic with its fix')
    .option('--memory <size>', 'VM memory for the hugepages check')
    .option('--hugepages', 'the VM requires hugepages')
    .action(async (id: string, o: VmCtxOpts) => {
      ctx.print(await ctx.call('gpu.info', { id, ...vmCtx(o) }), formatGpuInfo);
    });

  gpu
    .command('diagnose [address]')
    .description('Diagnostics for one GPU or all: OK / Degraded / Action Needed with reasons and fixes')
    .option('--memory <size>', 'VM memory for the hugepages check')
    .option('--hugepages', 'the VM requires hugepages')
    .action(async (address: string | undefined, o: VmCtxOpts) => {
      const r = await ctx.call('gpu.diagnose', { ...(address ? { address } : {}), ...vmCtx(o) });
      ctx.print(r, (v) => v.gpus.map((g) => `${g.address} ${g.name}: ${g.status}\n${formatChecks(g.checks)}`).join('\n\n') || 'No GPUs found.');
      if (r.gpus.some((g) => g.status === 'Action Needed')) process.exitCode = 1;
    });

  const action = (verb: 'bind' | 'unbind' | 'reattach' | 'reset', description: string) => {
    const cmd = gpu.command(`${verb} <addresses...>`).description(description);
    if (verb === 'bind') cmd.option('--include-group', 'also move the other devices of the IOMMU group (USB controller, NIC)');
    if (verb !== 'reattach') cmd.option('--force', verb === 'reset' ? 'reset even while a host driver uses it' : 'even the GPU driving the host display');
    if (verb !== 'reset') cmd.option('--timeout <ms>', 'how long to wait for each sysfs step');
    cmd.action(async (addresses: string[], o: { includeGroup?: boolean; force?: boolean; timeout?: string }) => {
      const input = {
        addresses,
        ...(o.includeGroup ? { includeGroup: true } : {}),
        ...(o.force ? { force: true } : {}),
        ...(o.timeout ? { timeoutMs: Number(o.timeout) } : {}),
      };
      const r = await ctx.call(`gpu.${verb}`, input as never);
      ctx.print(r, formatActions);
      if (!r.ok) process.exitCode = 1;
    });
  };
  action('bind', 'Move GPUs and their companions to vfio-pci (undone on failure)');
  action('unbind', 'Detach GPUs and their companions from their driver');
  action('reattach', 'Give GPUs and their companions back to their original host driver');
  action('reset', 'Reset GPUs (FLR / bus / device-specific)');
}
