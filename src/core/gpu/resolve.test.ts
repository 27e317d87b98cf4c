import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { FixtureKernel } from './testing/fake-kernel.js';
import { buildScenario } from './testing/hosts.js';
import type { ScenarioName } from './testing/hosts.js';
import { createGpuModule } from './module.js';
import { qemuVfioArgs } from './resolve.js';

// What the VM backend gets for `gpu_passthrough = true` / `gpu = "…"` before it starts a VM.
const homes: TempHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await h.cleanup();
});

async function engineFor(scenario: ScenarioName) {
  const home = await tempHome('nova-gpu-vm-');
  homes.push(home);
  const root = await buildScenario(scenario, join(home.dir, 'host'));
  const kernel = new FixtureKernel(root);
  const engine = home.engine({ sysfsRoot: root }, [createGpuModule({ writer: kernel, linkTimeoutMs: 500 })]);
  return { call: engine.dispatcher.invoke.bind(engine.dispatcher), kernel };
}

describe('gpu.resolveForVm', () => {
  it('gpu_passthrough = true picks the discrete RTX 5090 over the display iGPU, says why, and gives QEMU its MMIO window', async () => {
    const { call } = await engineFor('desktop-rtx5090');
    const r = await call('gpu.resolveForVm', { gpu_passthrough: true, memoryBytes: '4Gi' });
    expect(r).toMatchObject({ chosen: '0000:01:00.0', devices: ['0000:01:00.0', '0000:01:00.1'], status: 'Degraded', blocked: false, qemu: { pciMmio64Mb: 65536 } });
    expect(r.why).toMatch(/^picked 0000:01:00.0 NVIDIA GeForce RTX 5090: discrete, usable with warnings, IOMMU group 14 holds only this GPU and its audio device, not driving the host display; passed over 0000:00:02.0 Intel UHD Graphics 770 \(Raptor Lake-S\) \(needs action: host display\)$/);
    expect(qemuVfioArgs(r)).toEqual(['-device', 'vfio-pci,host=0000:01:00.0', '-device', 'vfio-pci,host=0000:01:00.1', '-fw_cfg', 'name=opt/ovmf/X-PciMmio64Mb,string=65536']);
  });

  it('bind: true moves the chosen unit to vfio-pci', async () => {
    const { call, kernel } = await engineFor('desktop-rtx5090');
    const r = await call('gpu.resolveForVm', { gpu: '01:00.0', bind: true });
    expect(r.blocked).toBe(false);
    expect(r.bound?.[0]).toMatchObject({ ok: true });
    expect(kernel.writes.filter((w) => w.path === 'bus/pci/drivers_probe').map((w) => w.value)).toEqual(['0000:01:00.0', '0000:01:00.1']);
  });

  it('Action Needed blocks the start with the reason and its fix, and binds nothing', async () => {
    const { call, kernel } = await engineFor('shared-group');
    const r = await call('gpu.resolveForVm', { gpu: '0000:05:00.0', bind: true, onBlocked: 'report' });
    expect(r.blocked).toBe(true);
    expect(r.reason).toMatch(/^0000:05:00.0 NVIDIA GeForce RTX 4070: group 11 is not viable: .* — fix: move the card/);
    expect(kernel.writes).toEqual([]);
    const none = await engineFor('no-iommu');
    const n = await none.call('gpu.resolveForVm', { gpu_passthrough: true, onBlocked: 'report' });
    expect(n).toMatchObject({ chosen: '0000:01:00.0', blocked: true, reason: expect.stringContaining('no IOMMU groups exist') });
  });

  it('hugepages = true with too few free pages blocks; no GPU asked → nothing to do', async () => {
    const { call } = await engineFor('desktop-rtx5090');
    await expect(call('gpu.resolveForVm', { gpu_passthrough: true, memoryBytes: '16Gi', hugepages: true })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('wants 16 GiB in hugepages but only 4.0 GiB are free'),
      details: { fix: expect.stringContaining('nr_hugepages') },
    });
    expect(await call('gpu.resolveForVm', {})).toMatchObject({ devices: [], chosen: null, blocked: false });
  });

  it('gpu = a non-GPU device or an absent one is a clear error naming the field', async () => {
    const { call } = await engineFor('desktop-rtx5090');
    await expect(call('gpu.resolveForVm', { gpu: '0000:03:00.0' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('Ethernet controller, not a GPU') });
    await expect(call('gpu.resolveForVm', { gpu: '0000:0a:00.0' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('gpu = "0000:0a:00.0"') });
    await expect(call('gpu.resolveForVm', { gpu: 'pci-1' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('gpu') });
  });

  it('the VM start path ({vm, gpu}): binds, returns the addresses and claims them until releaseForVm; Action Needed throws naming the VM and writes nothing', async () => {
    const { call, kernel } = await engineFor('desktop-rtx5090');
    const r = await call('gpu.resolveForVm', { vm: 'gaming', gpu: '0000:01:00.0' });
    expect(r.addresses).toEqual(['0000:01:00.0', '0000:01:00.1']);
    expect(r.bound?.[0]?.ok).toBe(true);
    expect(kernel.writes).toHaveLength(6);
    expect((await call('gpu.info', { id: '5090' })).claimedBy).toBe('gaming');
    const rel = await call('gpu.releaseForVm', { vm: 'gaming' });
    expect(rel).toMatchObject({ ok: true, devices: ['0000:01:00.0', '0000:01:00.1'] });
    expect(rel.results[0]!.devices.map((d) => d.to)).toEqual(['nvidia', 'snd_hda_intel']);
    expect((await call('gpu.info', { id: '5090' })).claimedBy).toBeUndefined();
    expect(await call('gpu.releaseForVm', { vm: 'gaming' })).toMatchObject({ ok: true, devices: [] });
    const shared = await engineFor('shared-group');
    await expect(shared.call('gpu.resolveForVm', { vm: 'gaming' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^GPU passthrough blocked — VM gaming: 0000:05:00.0 NVIDIA GeForce RTX 4070: group 11 is not viable/),
    });
    expect(shared.kernel.writes).toEqual([]);
  });
});
