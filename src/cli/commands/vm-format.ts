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
    ['MAC', v.mac],
    ['Console', v.console ? `VNC socket ${v.console.vncSocket} (WebSocket ${v.console.path} on \`nova serve\`)` : undefined],
    ['Serial log', v.serialLog],
    ['UUID', v.uuid],
  ];
  return details(rows);
}

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
