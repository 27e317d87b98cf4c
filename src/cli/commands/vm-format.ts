// How `nova vm …` prints a VM: the detail view, the list table and the one-line state.
import type { VmInfo } from '../../shared/contract/vm.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { details, table } from '../output.js';

export function formatVm(v: VmInfo): string {
  const rows: [string, string | undefined][] = [
    ['Name', `${v.name}${v.project ? ` (project ${v.project})` : ''}`],
    ['State', `${v.state}${v.reason ? ` — ${v.reason}` : ''}`],
    ['PID', v.pid ? String(v.pid) : undefined],
    ['Accelerator', `${v.accelerator.kind.toUpperCase()}${v.accelerator.kind === 'tcg' ? ` (warning: ${v.accelerator.reason})` : ''}`],
    ['CPU / memory', `${v.spec.cpu} vCPU, ${formatBytes(v.spec.memory)}${v.spec.balloon ? ' (balloon)' : ''}`],
    ['Firmware', v.uefi ? `UEFI${v.secureBoot ? ' + Secure Boot' : ''}` : 'BIOS'],
    ['TPM', v.tpm ? 'TPM 2.0 (swtpm)' : 'none'],
    ['Disks', v.disks.map((d) => `${d.node}: ${d.path} (${d.format})`).join('\n              ') || 'none'],
    ['Network', v.nic.kind === 'tap' ? `${v.nic.network} (${v.nic.ifname ?? 'tap'})` : v.nic.kind === 'user' ? `user-mode NAT${v.spec.ports.length ? `, ports ${v.spec.ports.join(' ')}` : ''}` : 'none'],
    ['More NICs', (v.nics ?? []).map((n) => `${n.network}: ${n.mac}${n.model ? ` ${n.model}` : ''} ${n.state === 'attached' ? `attached${n.ifname ? ` (${n.ifname})` : n.network === 'user' ? ' (user-mode NAT)' : ''}` : `— ${n.reason ?? 'applies at the next start'}`}`).join('\n              ') || undefined],
    ['Shares', (v.shares ?? []).map((sh) => `${sh.tag}: ${sh.host} (${sh.driver}${sh.readonly ? ', read-only' : ''}${sh.reason ? ` — ${sh.reason}` : ''})\n                in the guest: ${sh.mount}`).join('\n              ') || undefined],
    ['USB', (v.usb ?? []).map((u) => `${u.id} (port ${u.port})`).join('\n              ') || undefined],
    ['Guest memory', v.guestMemory ? `${formatBytes(v.guestMemory.usedBytes)} used of ${formatBytes(v.guestMemory.totalBytes)} (${formatBytes(v.guestMemory.availableBytes)} available; from the ${v.guestMemory.source === 'balloon' ? 'balloon statistics' : 'guest agent'})` : undefined],
    ['MAC', v.mac],
    ['Console', v.console ? `VNC socket ${v.console.vncSocket} (WebSocket ${v.console.path} on \`nova serve\`)` : undefined],
    ['Serial log', v.serialLog],
    ...guestRows(v),
    ['UUID', v.uuid],
  ];
  return details(rows);
}

/** What the guest agent says (inspect of a running VM), or why there is none. */
function guestRows(v: VmInfo): [string, string | undefined][] {
  const g = v.guest;
  if (!g) return [];
  if (!g.agent) return [['Guest agent', g.reason]];
  const nics = (g.interfaces ?? []).map((n) => `${n.name}${n.mac ? ` (${n.mac})` : ''}: ${n.addresses.join(', ') || 'no address'}`);
  return [
    ['Guest agent', 'answers (qemu-guest-agent)'],
    ['Guest OS', g.os ? `${g.os}${g.kernel ? `, kernel ${g.kernel}` : ''}` : undefined],
    ['Hostname', g.hostname],
    ['Guest NICs', nics.join('\n              ') || undefined],
  ];
}

/** How `nova stop vm` says the VM went down. */
export const STOPPED_BY: Record<string, string> = {
  'guest-agent': 'shut down by its guest agent', acpi: 'powered off after the ACPI power button', quit: 'QEMU quit (the guest did not power off in time)',
  kill: 'QEMU killed', 'not-running': 'was not running',
};

export const vmTable = (items: VmInfo[]): string =>
  items.length === 0
    ? 'No VMs yet. Declare one in a NovaFile ([vm.NAME]) or run `nova wizard vm NAME --preset win11`.'
    : table(items, [
        { header: 'NAME', get: (v) => v.name },
        { header: 'STATE', get: (v) => v.state },
        { header: 'CPU', get: (v) => v.spec.cpu, align: 'right' },
        { header: 'MEMORY', get: (v) => formatBytes(v.spec.memory) },
        { header: 'ACCEL', get: (v) => v.accelerator.kind },
        { header: 'PROJECT', get: (v) => v.project },
        { header: 'REASON', get: (v) => v.reason },
      ]);

/** The printers every VM command file uses: the full view and the one-line "name: state — why". */
export const vmPrinters = (ctx: CliContext) => ({
  show: (v: VmInfo) => ctx.print(v, formatVm),
  state: (v: VmInfo) => ctx.print(v, (x) => `${x.name}: ${x.state}${x.reason ? ` — ${x.reason}` : ''}`),
});
