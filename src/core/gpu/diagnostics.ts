import type { GpuCheck, GpuStatus } from '../../shared/contract/gpu.js';
import { formatBytes } from '../../shared/sizes.js';
import type { GpuInventoryEntry } from './inventory.js';
import type { HostGpuFacts } from './scanner.js';

// Per-GPU readiness for passthrough. Each check says what Nova saw, why it matters and the fix;
// `fail` (Action Needed) blocks a VM start, `warn` (Degraded) is shown but does not block.

export interface DiagnoseContext {
  memoryBytes?: number;
  hugepages?: boolean;
}

const VFIO_OK = new Set(['vfio-pci', 'pci-stub']);
const CMDLINE_FIX =
  'enable VT-d (Intel) or AMD-Vi/IOMMU (AMD) in the firmware, then add `intel_iommu=on iommu=pt` (Intel) or `amd_iommu=on iommu=pt` (AMD) ' +
  'to the kernel command line — Debian: GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, then `update-grub`; Arch: the same then ' +
  '`grub-mkconfig -o /boot/grub/grub.cfg`, or the `options` line in /boot/loader/entries/*.conf for systemd-boot — and reboot';

const check = (id: string, title: string, status: GpuCheck['status'], reason: string, fix?: string): GpuCheck =>
  fix ? { id, title, status, reason, fix } : { id, title, status, reason };

function iommuCheck(gpu: GpuInventoryEntry, host: HostGpuFacts): GpuCheck {
  const flags = host.iommu.cmdline.split(/\s+/).filter((f) => /^(intel_iommu|amd_iommu|iommu)=/.test(f));
  if (!host.iommu.enabled) {
    return check('iommu', 'IOMMU', 'fail', `no IOMMU groups exist (kernel command line: ${flags.length ? flags.join(' ') : 'no iommu flags'}): passthrough is impossible`, CMDLINE_FIX);
  }
  if (gpu.iommuGroup === undefined) {
    return check('iommu', 'IOMMU', 'fail', `the IOMMU is on but ${gpu.address} has no IOMMU group`, 'check `dmesg | grep -i -e DMAR -e IOMMU` for errors about this device; update the firmware');
  }
  const pt = flags.includes('iommu=pt') ? '' : ' (add iommu=pt to keep host DMA fast)';
  return check('iommu', 'IOMMU', 'ok', `on: ${host.iommu.groups.size} groups${flags.length ? `, ${flags.join(' ')}` : ''}${pt}`);
}

function modulesCheck(host: HostGpuFacts): GpuCheck {
  const loaded = host.drivers.has('vfio-pci') || host.modules.has('vfio_pci');
  const missing = ['vfio', 'vfio_iommu_type1', 'vfio_pci'].filter((m) => !host.modules.has(m) && !(m === 'vfio_pci' && host.drivers.has('vfio-pci')));
  if (!loaded || missing.length) {
    return check('vfio-modules', 'VFIO modules', 'fail', `not loaded: ${missing.join(', ') || 'vfio_pci'}`, 'run `sudo modprobe vfio-pci` (loads vfio and vfio_iommu_type1 too); to load it at boot: `echo vfio-pci | sudo tee /etc/modules-load.d/vfio.conf`');
  }
  return check('vfio-modules', 'VFIO modules', 'ok', 'vfio, vfio_iommu_type1 and vfio_pci are loaded');
}

function groupCheck(gpu: GpuInventoryEntry): GpuCheck | undefined {
  if (gpu.iommuGroup === undefined) return undefined;
  const blockers = gpu.groupMembers.filter((m) => !m.companion && !m.bridge && !(m.driver === undefined || VFIO_OK.has(m.driver)));
  if (blockers.length) {
    const list = blockers.map((m) => `${m.address} (${m.className}${m.driver ? `, ${m.driver}` : ''})`).join(', ');
    return check(
      'group',
      'IOMMU group',
      'fail',
      `group ${gpu.iommuGroup} is not viable: it also holds ${list}, which would go to the VM with the GPU`,
      `move the card to a CPU-attached slot (its own group), or pass the whole group with \`nova gpu bind --include-group ${gpu.address}\` (the host loses those devices); the ACS override patch splits groups but weakens isolation`,
    );
  }
  const extra = gpu.groupMembers.filter((m) => m.companion).map((m) => m.className.toLowerCase());
  const bridges = gpu.groupMembers.filter((m) => m.bridge).length;
  return check('group', 'IOMMU group', 'ok', `group ${gpu.iommuGroup} holds only this GPU${extra.length ? ` and its ${extra.join(', ')}` : ''}${bridges ? ` (+${bridges} bridge${bridges > 1 ? 's' : ''})` : ''}`);
}

function displayCheck(gpu: GpuInventoryEntry): GpuCheck {
  const cards = gpu.displayHolders.filter((h) => h.node.includes('/card'));
  if (cards.length) {
    const who = [...new Set(cards.map((h) => `${h.comm} (pid ${h.pid})`))].join(', ');
    return check('display', 'Host display', 'fail', `${who} holds ${cards[0]!.node}: this GPU drives the host display; taking it away freezes or crashes the session`, 'use another GPU for the host (set the iGPU or another card as primary display in the firmware and plug the monitor there), or stop the desktop (`sudo systemctl stop display-manager`) for single-GPU passthrough');
  }
  if (gpu.displayHolders.length) {
    const who = [...new Set(gpu.displayHolders.map((h) => `${h.comm} (pid ${h.pid})`))].join(', ');
    return check('display', 'Host display', 'warn', `${who} render on it: unbinding waits for them (NVIDIA reports "non-zero usage count")`, 'close those programs (or stop nvidia-persistenced) before starting the VM');
  }
  if (gpu.bootVga) {
    return check('display', 'Host display', 'warn', 'the firmware initialised this GPU as the boot display (boot_vga=1): the console framebuffer may still use it', 'set the primary display to another GPU in the firmware, or add `video=efifb:off` to the kernel command line');
  }
  return check('display', 'Host display', 'ok', 'not driving the host display');
}

function resetCheck(gpu: GpuInventoryEntry, othersOnBus: number): GpuCheck {
  const m = gpu.resetMethods;
  if (m.length === 0) {
    return check('reset', 'Reset method', 'warn', 'the kernel has no reset method for this device: it keeps its state between VM runs and may need a host reboot after the VM stops', gpu.vendor.kind === 'amd' ? 'install vendor-reset if your card is supported' : 'shut the guest down cleanly; reboot the host if the card stays black');
  }
  if (m.includes('flr') || m.includes('device_specific')) return check('reset', 'Reset method', 'ok', `reset by ${m.join(', ')}`);
  if (m.every((x) => x === 'bus')) {
    return othersOnBus > 0
      ? check('reset', 'Reset method', 'warn', `bus reset only, and ${othersOnBus} other device(s) sit behind the same bridge: they are reset too`, 'pass them through together or use another slot')
      : check('reset', 'Reset method', 'warn', 'bus reset only (secondary bus reset): works while the GPU is alone behind its bridge, slower and less thorough than FLR');
  }
  return check('reset', 'Reset method', 'ok', `reset by ${m.join(', ')}`);
}

function resetBugCheck(gpu: GpuInventoryEntry, host: HostGpuFacts): GpuCheck {
  switch (gpu.resetQuirk) {
    case 'vendor-reset':
      if (!host.modules.has('vendor_reset')) {
        return check('reset-bug', 'Known reset bug', 'fail', `${gpu.generation} cards do not reset without the vendor-reset module: the second VM start hangs or shows a black screen`, 'install vendor-reset (Arch: `vendor-reset-dkms-git` from the AUR; Debian: build github.com/gnif/vendor-reset with dkms), `modprobe vendor-reset`, then `echo device_specific | sudo tee /sys/bus/pci/devices/' + gpu.address + '/reset_method`');
      }
      if (!gpu.resetMethods.includes('device_specific')) {
        return check('reset-bug', 'Known reset bug', 'warn', 'vendor-reset is loaded but this card does not use it yet', `echo device_specific | sudo tee /sys/bus/pci/devices/${gpu.address}/reset_method`);
      }
      return check('reset-bug', 'Known reset bug', 'ok', 'vendor-reset handles this card (device_specific reset)');
    case 'navi2x':
      return check('reset-bug', 'Known reset bug', 'warn', 'RDNA 2 cards usually reset, but some boards do not come back after a guest reboot; vendor-reset does not cover RDNA 2', 'shut the guest down instead of rebooting it; if the card stays black, a host suspend/resume or reboot recovers it');
    case 'navi3x':
      return check('reset-bug', 'Known reset bug', 'warn', 'RDNA 3 cards are reported to fail to reset after a guest shutdown on some boards; vendor-reset does not cover them', 'keep the host kernel and the card firmware current; plan for a host reboot if the next VM start shows a black screen');
    case 'blackwell':
      return check('reset-bug', 'Known reset bug', 'warn', 'RTX 50 (Blackwell) cards are reported to stop responding after the guest shuts down or reboots: the next VM start fails until the host reboots', 'see docs/rtx50-series.md: current host kernel and guest driver (R570 or newer), shut the guest down cleanly, avoid guest reboots; plan for a host reboot between VM runs until a fixed VBIOS/driver is out');
    default:
      return check('reset-bug', 'Known reset bug', 'ok', `no known reset bug for ${gpu.generation === 'unknown' ? 'this card' : gpu.generation}`);
  }
}

function powerCheck(gpu: GpuInventoryEntry): GpuCheck {
  if (gpu.powerState === 'D3cold') {
    return check('d3cold', 'Power state', 'warn', 'the card is powered off (D3cold): some cards do not wake up under vfio-pci', `echo 0 | sudo tee /sys/bus/pci/devices/${gpu.address}/d3cold_allowed before starting the VM (or load vfio-pci with disable_idle_d3=1)`);
  }
  return check('d3cold', 'Power state', 'ok', `${gpu.powerState ?? 'unknown'}${gpu.d3coldAllowed !== undefined ? `, D3cold ${gpu.d3coldAllowed ? 'allowed' : 'disabled'}` : ''}`);
}

/** 64-bit MMIO window the guest firmware needs for a resized BAR (MiB, power of two, ≥ 2× the BAR). */
export function mmio64For(gpu: { rebar: GpuInventoryEntry['rebar'] }): number | undefined {
  const bar = gpu.rebar.currentBytes ?? 0;
  if (bar <= 8 * 1024 ** 3) return undefined;
  return 2 ** Math.ceil(Math.log2((bar * 2) / 1024 ** 2));
}

function rebarCheck(gpu: GpuInventoryEntry): GpuCheck {
  const r = gpu.rebar;
  if (!r.supported || !r.maxBytes) return check('rebar', 'Resizable BAR', 'ok', 'not supported by this card (fixed BAR)');
  const cur = r.currentBytes ?? 0;
  if (cur < r.maxBytes) {
    return check('rebar', 'Resizable BAR', 'warn', `BAR${r.bar} is ${formatBytes(cur)} of ${formatBytes(r.maxBytes)} possible: Resizable BAR is off`, 'enable "Above 4G decoding" and "Re-Size BAR support" in the firmware for full performance in the guest');
  }
  const mmio = mmio64For(gpu);
  return check('rebar', 'Resizable BAR', mmio ? 'info' : 'ok', `BAR${r.bar} is ${formatBytes(cur)} (full size)${mmio ? `: the guest needs a ${mmio / 1024} GiB 64-bit MMIO window, which Nova sets (X-PciMmio64Mb)` : ''}`);
}

function hugepagesCheck(host: HostGpuFacts, ctx: DiagnoseContext): GpuCheck {
  const free = host.hugepages.reduce((s, h) => s + h.free * h.sizeBytes, 0);
  const desc = host.hugepages.map((h) => `${h.free}/${h.total} × ${formatBytes(h.sizeBytes)}`).join(', ') || 'none';
  const small = host.hugepages[0]?.sizeBytes ?? 2 * 1024 ** 2;
  if (!ctx.memoryBytes) return check('hugepages', 'Hugepages', 'info', `free hugepages: ${desc}`);
  if (free >= ctx.memoryBytes) return check('hugepages', 'Hugepages', 'ok', `${formatBytes(free)} of hugepages free for ${formatBytes(ctx.memoryBytes)} of VM memory`);
  const need = Math.ceil(ctx.memoryBytes / small);
  const fix = `reserve them: \`echo ${need} | sudo tee /sys/kernel/mm/hugepages/hugepages-${small / 1024}kB/nr_hugepages\`, or at boot with \`hugepages=${need}\` on the kernel command line`;
  return ctx.hugepages
    ? check('hugepages', 'Hugepages', 'fail', `the VM wants ${formatBytes(ctx.memoryBytes)} in hugepages but only ${formatBytes(free)} are free (${desc})`, fix)
    : check('hugepages', 'Hugepages', 'info', `${formatBytes(free)} of hugepages free; backing ${formatBytes(ctx.memoryBytes)} of VM memory with hugepages lowers latency`, fix);
}

function driverCheck(gpu: GpuInventoryEntry): GpuCheck {
  if (gpu.driver === 'vfio-pci') return check('driver', 'Driver', 'ok', 'bound to vfio-pci: ready for a VM');
  if (!gpu.driver) return check('driver', 'Driver', 'info', 'no driver bound: Nova binds it to vfio-pci when the VM starts');
  return check('driver', 'Driver', 'info', `bound to ${gpu.driver} (host): Nova moves it${gpu.companions.length ? ' and its companions' : ''} to vfio-pci when the VM starts and back when it stops`);
}

function sriovCheck(gpu: GpuInventoryEntry): GpuCheck | undefined {
  if (gpu.physfn) return check('sriov', 'SR-IOV', 'info', `virtual function of ${gpu.physfn}: pass it to a VM on its own; the host keeps the physical function`);
  if (!gpu.sriov) return undefined;
  const s = gpu.sriov;
  return check('sriov', 'SR-IOV', 'info', `${s.numVfs} of ${s.totalVfs} virtual functions enabled${s.vfs.length ? ` (${s.vfs.join(', ')})` : ''}: pass a VF to share the card between VMs`, s.numVfs ? undefined : `echo N | sudo tee /sys/bus/pci/devices/${gpu.address}/sriov_numvfs`);
}

export function overallStatus(checks: GpuCheck[]): GpuStatus {
  if (checks.some((c) => c.status === 'fail')) return 'Action Needed';
  if (checks.some((c) => c.status === 'warn')) return 'Degraded';
  return 'OK';
}

/** Every check for one GPU. `devicesOnBus` counts non-companion endpoints behind the same bridge. */
export function diagnose(gpu: GpuInventoryEntry, host: HostGpuFacts, ctx: DiagnoseContext = {}, devicesOnBus = 0): { status: GpuStatus; checks: GpuCheck[] } {
  const checks = [
    iommuCheck(gpu, host),
    modulesCheck(host),
    groupCheck(gpu),
    displayCheck(gpu),
    driverCheck(gpu),
    resetCheck(gpu, devicesOnBus),
    resetBugCheck(gpu, host),
    powerCheck(gpu),
    rebarCheck(gpu),
    hugepagesCheck(host, ctx),
    sriovCheck(gpu),
  ].filter((c): c is GpuCheck => Boolean(c));
  return { status: overallStatus(checks), checks };
}
