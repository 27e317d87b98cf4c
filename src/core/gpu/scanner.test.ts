import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missing } from '../../test/host.js';
import { resolvePaths } from '../sys/paths.js';
import { buildScenario, SCENARIOS } from './testing/hosts.js';
import type { ScenarioName } from './testing/hosts.js';
import { GpuService } from './service.js';
import type { GpuWithDiagnostics } from './service.js';

// Inventory and every diagnostic on each fixture host.
let base: string;
const roots = {} as Record<ScenarioName, string>;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nova-gpu-scan-'));
  for (const s of SCENARIOS) roots[s] = await buildScenario(s, join(base, s));
});
afterAll(() => rm(base, { recursive: true, force: true }));

const svc = (s: ScenarioName) => new GpuService({ root: roots[s], paths: resolvePaths({ NOVA_HOME: join(base, 'home') }) });
const gpusOf = async (s: ScenarioName, ctx = {}) => (await svc(s).list(ctx)).gpus;
const byAddr = (gpus: GpuWithDiagnostics[], a: string) => gpus.find((g) => g.address === a)!;
const chk = (g: GpuWithDiagnostics, id: string) => g.checks.find((c) => c.id === id)!;

describe('GPU inventory', () => {
  it('desktop: RTX 5090 with its HDMI audio alone in group 14, iGPU as boot VGA held by the compositor', async () => {
    const gpus = await gpusOf('desktop-rtx5090');
    expect(gpus.map((g) => g.address)).toEqual(['0000:00:02.0', '0000:01:00.0']);
    const rtx = byAddr(gpus, '0000:01:00.0');
    expect(rtx).toMatchObject({
      name: 'NVIDIA GeForce RTX 5090',
      generation: 'Blackwell (RTX 50)',
      device: { id: '2b85', chip: 'GB202' },
      vendor: { kind: 'nvidia' },
      driver: 'nvidia',
      iommuGroup: 14,
      integrated: false,
      bootVga: false,
      resetMethods: ['flr', 'bus'],
      powerState: 'D0',
      d3coldAllowed: true,
      rebar: { supported: true, bar: 1, currentBytes: 32 * 1024 ** 3, maxBytes: 32 * 1024 ** 3 },
      link: { speed: '32.0 GT/s PCIe', width: '16' },
    });
    expect(rtx.companions).toEqual([{ address: '0000:01:00.1', kind: 'audio', name: expect.stringContaining('NVIDIA'), driver: 'snd_hda_intel' }]);
    expect(rtx.groupMembers.map((m) => [m.address, m.companion])).toEqual([['0000:01:00.1', true]]);
    const igpu = byAddr(gpus, '0000:00:02.0');
    expect(igpu).toMatchObject({ bootVga: true, integrated: true, driver: 'i915', generation: expect.stringContaining('Intel integrated') });
    expect(igpu.displayHolders).toEqual([
      { pid: 1432, comm: 'kwin_wayland', node: '/dev/dri/card0' },
      { pid: 1432, comm: 'kwin_wayland', node: '/dev/dri/renderD128' },
    ]);
  });

  it('AMD: names told apart by PCI revision, HDMI audio companions, bus-only reset', async () => {
    const gpus = await gpusOf('amd');
    expect(gpus.map((g) => [g.address, g.name, g.generation])).toEqual([
      ['0000:03:00.0', 'AMD Radeon RX 7900 XTX', 'RDNA 3 (RX 7000)'],
      ['0000:0c:00.0', 'AMD Radeon RX 6800 XT', 'RDNA 2 (RX 6000)'],
      ['0000:0f:00.0', 'AMD Radeon RX 5700 XT', 'RDNA 1 (RX 5000)'],
    ]);
    expect(byAddr(gpus, '0000:0c:00.0').resetMethods).toEqual(['bus']);
    expect(byAddr(gpus, '0000:0c:00.0').companions[0]).toMatchObject({ address: '0000:0c:00.1', kind: 'audio' });
  });

  it('SR-IOV: the iGPU lists its enabled VFs and each VF names its physical function', async () => {
    const gpus = await gpusOf('intel-sriov');
    expect(byAddr(gpus, '0000:00:02.0').sriov).toEqual({ totalVfs: 7, numVfs: 2, vfs: ['0000:00:02.1', '0000:00:02.2'] });
    expect(byAddr(gpus, '0000:00:02.1')).toMatchObject({ physfn: '0000:00:02.0', driver: 'vfio-pci', iommuGroup: 20 });
    expect(byAddr(gpus, '0000:03:00.0')).toMatchObject({ name: 'Intel Arc A770', generation: 'Arc A-series (Alchemist)' });
    const dc = await gpusOf('datacenter');
    expect(byAddr(dc, '0000:41:00.0')).toMatchObject({ name: 'NVIDIA L40S', classCode: '030200', className: '3D controller', sriov: { totalVfs: 32, numVfs: 4 } });
  });

  it('finds a GPU by short address or by a unique part of its name; ambiguity and absence are clear errors', async () => {
    expect((await svc('amd').find('0c:00.0')).name).toBe('AMD Radeon RX 6800 XT');
    expect((await svc('amd').find('6800 xt')).address).toBe('0000:0c:00.0');
    await expect(svc('amd').find('radeon')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('matches 3 GPUs') });
    await expect(svc('amd').find('5090')).rejects.toMatchObject({ code: 'NOT_FOUND', details: { fix: expect.stringContaining('0000:03:00.0 AMD Radeon RX 7900 XTX') } });
    await expect(svc('amd').find('0000:0c:00.1')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no GPU at 0000:0c:00.1' });
  });

  it('no IOMMU: GPUs are listed without groups', async () => {
    const gpus = await gpusOf('no-iommu');
    expect(gpus.map((g) => g.iommuGroup)).toEqual([undefined, undefined]);
    const { iommu } = await svc('no-iommu').list();
    expect(iommu).toMatchObject({ enabled: false, groups: 0 });
  });
});

describe('GPU diagnostics', () => {
  it('(a) RTX 5090: Degraded only for the Blackwell reset risk; the iGPU driving the display is Action Needed', async () => {
    const gpus = await gpusOf('desktop-rtx5090');
    const rtx = byAddr(gpus, '0000:01:00.0');
    expect(rtx.status).toBe('Degraded');
    expect(rtx.checks.filter((c) => c.status === 'warn').map((c) => c.id)).toEqual(['reset-bug']);
    expect(chk(rtx, 'reset-bug').fix).toContain('rtx50-series.md');
    expect(chk(rtx, 'iommu')).toMatchObject({ status: 'ok', reason: expect.stringContaining('intel_iommu=on iommu=pt') });
    expect(chk(rtx, 'group')).toMatchObject({ status: 'ok', reason: 'group 14 holds only this GPU and its audio device' });
    expect(chk(rtx, 'rebar')).toMatchObject({ status: 'info', reason: expect.stringContaining('64 GiB 64-bit MMIO window') });
    const igpu = byAddr(gpus, '0000:00:02.0');
    expect(igpu.status).toBe('Action Needed');
    expect(chk(igpu, 'display')).toMatchObject({ status: 'fail', reason: expect.stringContaining('kwin_wayland (pid 1432) holds /dev/dri/card0') });
  });

  it('hugepages: enough for 4 GiB, too few for 16 GiB (advice), Action Needed when the VM requires them', async () => {
    const ok = byAddr(await gpusOf('desktop-rtx5090', { memoryBytes: 4 * 1024 ** 3 }), '0000:01:00.0');
    expect(chk(ok, 'hugepages').status).toBe('ok');
    const advice = byAddr(await gpusOf('desktop-rtx5090', { memoryBytes: 16 * 1024 ** 3 }), '0000:01:00.0');
    expect(chk(advice, 'hugepages')).toMatchObject({ status: 'info', fix: expect.stringContaining('echo 8192 | sudo tee /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages') });
    const need = byAddr(await gpusOf('desktop-rtx5090', { memoryBytes: 16 * 1024 ** 3, hugepages: true }), '0000:01:00.0');
    expect(need.status).toBe('Action Needed');
    expect(chk(need, 'hugepages').status).toBe('fail');
  });

  it('(b) AMD: RX 6800 XT Degraded (bus-only reset, RDNA 2 reset risk); RX 5700 XT without vendor-reset is Action Needed', async () => {
    const gpus = await gpusOf('amd');
    const navi21 = byAddr(gpus, '0000:0c:00.0');
    expect(navi21.status).toBe('Degraded');
    expect(chk(navi21, 'reset')).toMatchObject({ status: 'warn', reason: expect.stringContaining('bus reset only') });
    expect(chk(navi21, 'reset-bug')).toMatchObject({ status: 'warn', reason: expect.stringContaining('vendor-reset does not cover RDNA 2') });
    const navi10 = byAddr(gpus, '0000:0f:00.0');
    expect(navi10.status).toBe('Action Needed');
    expect(chk(navi10, 'reset-bug')).toMatchObject({ status: 'fail', fix: expect.stringContaining('vendor-reset') });
    expect(chk(byAddr(gpus, '0000:03:00.0'), 'display').reason).toContain('sway (pid 2101)');
  });

  it('(c) RTX 4070 sharing its group with a USB controller and a NIC: not viable, with the members named', async () => {
    const g = byAddr(await gpusOf('shared-group'), '0000:05:00.0');
    expect(g.status).toBe('Action Needed');
    expect(chk(g, 'group')).toMatchObject({
      status: 'fail',
      reason: 'group 11 is not viable: it also holds 0000:06:00.0 (USB controller, xhci_hcd), 0000:07:00.0 (Ethernet controller, r8169), which would go to the VM with the GPU',
      fix: expect.stringContaining('--include-group 0000:05:00.0'),
    });
    expect(chk(g, 'rebar')).toMatchObject({ status: 'warn', reason: 'BAR1 is 256 MiB of 16 GiB possible: Resizable BAR is off' });
    // The bridge in the group does not count against it.
    expect(g.groupMembers.find((m) => m.address === '0000:04:00.0')).toMatchObject({ bridge: true });
  });

  it('(d) no IOMMU: Action Needed with the kernel command line fix for Debian and Arch, vfio modules missing', async () => {
    const g = byAddr(await gpusOf('no-iommu'), '0000:01:00.0');
    expect(g.status).toBe('Action Needed');
    expect(chk(g, 'iommu')).toMatchObject({ status: 'fail', fix: expect.stringMatching(/intel_iommu=on iommu=pt.*update-grub.*grub-mkconfig/s) });
    expect(chk(g, 'vfio-modules')).toMatchObject({ status: 'fail', fix: expect.stringContaining('modprobe vfio-pci') });
    expect(g.checks.find((c) => c.id === 'group')).toBeUndefined();
  });

  it('(e) SR-IOV iGPU: VFs pass on their own (OK), the PF explains how to enable more', async () => {
    const gpus = await gpusOf('intel-sriov');
    expect(chk(byAddr(gpus, '0000:00:02.0'), 'sriov').reason).toContain('2 of 7 virtual functions enabled');
    const vf = byAddr(gpus, '0000:00:02.2');
    expect(vf.status).toBe('OK');
    expect(chk(vf, 'sriov').reason).toContain('virtual function of 0000:00:02.0');
  });

  it('D3cold: a powered-off card is Degraded with the d3cold_allowed fix', async () => {
    const { SysfsFixture } = await import('./testing/builder.js');
    const root = await new SysfsFixture(join(base, 'd3'))
      .vfio()
      .add({ address: '0000:01:00.0', class: '030000', vendor: '10de', device: '2684', driver: 'nvidia', group: 1, resetMethod: 'flr', power: 'D3cold' })
      .build();
    const g = (await new GpuService({ root, paths: resolvePaths({ NOVA_HOME: join(base, 'home') }) }).list()).gpus[0]!;
    expect(g.checks.find((c) => c.id === 'd3cold')).toMatchObject({ status: 'warn', fix: expect.stringContaining('0000:01:00.0/d3cold_allowed') });
  });
});

describe.skipIf(missing({ tools: ['lspci'] }) !== undefined)('fixture realism', () => {
  it('lspci reads the fixture tree like a real /sys', () => {
    const out = execFileSync('lspci', ['-nn', '-A', 'linux-sysfs', '-O', `sysfs.path=${join(roots['desktop-rtx5090'], 'bus', 'pci')}`], { encoding: 'utf8' });
    expect(out).toMatch(/01:00\.0 VGA compatible controller \[0300\]: NVIDIA Corporation .*\[10de:2b85\]/);
    expect(out).toMatch(/01:00\.1 Audio device \[0403\]: NVIDIA Corporation .*\[10de:22e8\]/);
  });
});
