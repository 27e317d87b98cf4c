import type { Output, ParsedInput } from '../../shared/contract.js';
import { NovaError } from '../../shared/errors.js';
import { planUnit } from './actions.js';
import { mmio64For } from './diagnostics.js';
import type { GpuService, GpuWithDiagnostics } from './service.js';

// `gpu_passthrough = true` / `gpu = "0000:01:00.0"` in a [vm.NAME] → the VFIO device list and the
// diagnostics that decide whether the VM may start.

type Resolution = Output<'gpu.resolveForVm'>;

const STATUS_SCORE = { OK: 2, Degraded: 1, 'Action Needed': 0 } as const;

/** Why a candidate is worse than the chosen one, in a few words. */
function drawback(g: GpuWithDiagnostics): string {
  const failing = g.checks.filter((c) => c.status === 'fail').map((c) => c.title.toLowerCase());
  if (failing.length) return `needs action: ${failing.join(', ')}`;
  if (g.integrated) return 'integrated';
  if (g.bootVga) return 'boot display';
  if (g.physfn) return 'SR-IOV virtual function';
  return `lower tier (${g.generation})`;
}

function score(g: GpuWithDiagnostics): number {
  return STATUS_SCORE[g.status] * 1000 + (g.integrated ? 0 : 200) + (g.bootVga ? 0 : 100) + (g.physfn ? 0 : 50) + (g.driver === 'vfio-pci' ? 10 : 0) + g.rank / 10;
}

function strengths(g: GpuWithDiagnostics): string {
  const group = g.checks.find((c) => c.id === 'group');
  const bits = [
    g.integrated ? 'integrated' : 'discrete',
    g.status === 'OK' ? 'all checks pass' : g.status === 'Degraded' ? 'usable with warnings' : 'needs action',
    group?.status === 'ok' ? group.reason.replace(/^group/, 'IOMMU group') : undefined,
    g.bootVga || g.displayHolders.length ? undefined : 'not driving the host display',
  ].filter(Boolean);
  return bits.join(', ');
}

export async function resolveForVm(svc: GpuService, input: ParsedInput<'gpu.resolveForVm'>): Promise<Resolution> {
  const ctx = { ...(input.memoryBytes ? { memoryBytes: input.memoryBytes } : {}), ...(input.hugepages !== undefined ? { hugepages: input.hugepages } : {}) };
  const wanted = input.gpu !== undefined || input.gpu_passthrough === true || (input.vm !== undefined && input.gpu_passthrough === undefined);
  if (!wanted) {
    return { devices: [], addresses: [], chosen: null, why: 'the VM asks for no GPU', status: null, checks: [], blocked: false, qemu: {} };
  }
  const who = input.vm ? `VM ${input.vm}: ` : '';
  const { scan, gpus } = await svc.scan(ctx);
  let chosen: GpuWithDiagnostics | undefined;
  let why: string;
  if (input.gpu) {
    const dev = scan.devices.get(input.gpu);
    if (!dev) throw new NovaError('NOT_FOUND', `gpu = "${input.gpu}": no PCI device at that address`, { field: 'gpu', fix: `use one of: ${gpus.map((g) => g.address).join(', ') || 'no GPUs found'} (see \`nova gpu list\`)` });
    const unit = planUnit(scan, input.gpu, 'unbind'); // INVALID_INPUT for a non-GPU device
    chosen = gpus.find((g) => g.address === unit.gpu)!;
    why = `gpu = "${input.gpu}" in the NovaFile: ${chosen.name}`;
  } else {
    const ranked = [...gpus].sort((a, b) => score(b) - score(a));
    chosen = ranked[0];
    if (!chosen) {
      const none: Resolution = { devices: [], addresses: [], chosen: null, why: 'gpu_passthrough = true but this host has no GPU', status: 'Action Needed', checks: [], blocked: true, reason: `${who}no GPU found on this host (\`nova gpu list\` is empty)`, qemu: {} };
      return finish(none, input);
    }
    const others = ranked.slice(1).map((g) => `${g.address} ${g.name} (${drawback(g)})`);
    why = `picked ${chosen.address} ${chosen.name}: ${strengths(chosen)}${others.length ? `; passed over ${others.join('; ')}` : ''}`;
  }
  const devices = [chosen.address, ...chosen.companions.map((c) => c.address)];
  const failing = chosen.checks.filter((c) => c.status === 'fail');
  const mmio = mmio64For(chosen);
  const res: Resolution = {
    devices,
    addresses: devices,
    chosen: chosen.address,
    why,
    status: chosen.status,
    checks: chosen.checks,
    blocked: failing.length > 0,
    ...(failing.length ? { reason: `${who}${chosen.address} ${chosen.name}: ${failing.map((c) => `${c.reason}${c.fix ? ` — fix: ${c.fix}` : ''}`).join('; ')}` } : {}),
    qemu: mmio ? { pciMmio64Mb: mmio } : {},
  };
  if ((input.bind ?? input.vm !== undefined) && !res.blocked) {
    const out = await svc.act('bind', [chosen.address]);
    res.bound = out.results;
    if (out.ok && input.vm) await svc.claims.claim(input.vm, out.results.flatMap((r) => r.devices.map((d) => d.address)));
    if (!out.ok) {
      res.blocked = true;
      res.reason = `${who}${out.results.map((r) => r.error?.message).filter(Boolean).join('; ')}`;
    }
  }
  return finish(res, input);
}

/** Action Needed stops a VM start unless the caller only previews (`onBlocked: 'report'`). */
function finish(res: Resolution, input: ParsedInput<'gpu.resolveForVm'>): Resolution {
  if (res.blocked && input.onBlocked === 'error') {
    const fix = res.checks.filter((c) => c.status === 'fail' && c.fix).map((c) => c.fix).join('; ');
    throw new NovaError('CONFLICT', `GPU passthrough blocked — ${res.reason}`, { chosen: res.chosen, checks: res.checks, ...(fix ? { fix } : {}) });
  }
  return res;
}

/** QEMU arguments for a resolution: one vfio-pci device per function, the MMIO window when needed. */
export function qemuVfioArgs(res: Pick<Resolution, 'devices' | 'qemu'>): string[] {
  const args = res.devices.flatMap((host) => ['-device', `vfio-pci,host=${host}`]);
  if (res.qemu.pciMmio64Mb) args.push('-fw_cfg', `name=opt/ovmf/X-PciMmio64Mb,string=${res.qemu.pciMmio64Mb}`);
  return args;
}

/** After the VM stops: reattach what was bound for it (or only drop the claim with keepBound). */
export async function releaseForVm(svc: GpuService, input: ParsedInput<'gpu.releaseForVm'>): Promise<Output<'gpu.releaseForVm'>> {
  const devices = (await svc.claims.all())[input.vm] ?? [];
  if (devices.length === 0) return { vm: input.vm, devices: [], results: [], ok: true };
  // Kept on vfio-pci or given back to the host: either way the VM's user lets go of /dev/vfio/N.
  if (input.keepBound) await svc.release(devices[0]!);
  const out = input.keepBound ? { results: [], ok: true } : await svc.act('reattach', [devices[0]!]);
  if (out.ok) await svc.claims.release(input.vm);
  return { vm: input.vm, devices, ...out };
}
