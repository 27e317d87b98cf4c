import { readFile, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import type { FixtureFaults } from './testing/builder.js';
import { FixtureKernel } from './testing/fake-kernel.js';
import { buildScenario } from './testing/hosts.js';
import type { ScenarioName } from './testing/hosts.js';
import { createGpuModule } from './module.js';
import { helperDeviceOps } from '../privilege/helper-devices.js';
import { privilegeGuard } from '../privilege/guard.js';

// VFIO actions through the contract, against fixture trees whose "kernel" reacts to the writes.
let home: TempHome | undefined;
const homes: TempHome[] = [];
const kernels: FixtureKernel[] = [];
afterEach(async () => {
  for (const k of kernels.splice(0)) k.releaseHangs();
  for (const h of homes.splice(0)) await h.cleanup();
});

async function setup(scenario: ScenarioName, faults: FixtureFaults = {}) {
  home = await tempHome('nova-gpu-act-');
  homes.push(home);
  const root = await buildScenario(scenario, join(home.dir, 'host'));
  const kernel = new FixtureKernel(root, faults);
  kernels.push(kernel);
  const engine = home.engine({ sysfsRoot: root }, [createGpuModule({ writer: kernel, writeTimeoutMs: 300, linkTimeoutMs: 300 })]);
  const events: unknown[] = [];
  engine.bus.on('gpu.changed', (e) => events.push(e));
  const driver = (a: string) => readlink(join(root, 'bus/pci/devices', a, 'driver')).then(basename, () => undefined);
  const override = async (a: string) => (await readFile(join(root, 'bus/pci/devices', a, 'driver_override'), 'utf8')).trim();
  return { engine, root, kernel, driver, override, events, call: engine.dispatcher.invoke.bind(engine.dispatcher) };
}

const W = (path: string, value: string) => ({ path, value });
const GPU = '0000:01:00.0';
const AUDIO = '0000:01:00.1';

describe('gpu.bind / unbind / reattach', () => {
  it('binds the GPU and its audio function with the exact sysfs sequence, then reattaches the original drivers', async () => {
    const t = await setup('desktop-rtx5090');
    const r = await t.call('gpu.bind', { addresses: [GPU] });
    expect(r.ok).toBe(true);
    expect(r.results[0]!.devices).toEqual([
      { address: GPU, from: 'nvidia', to: 'vfio-pci' },
      { address: AUDIO, from: 'snd_hda_intel', to: 'vfio-pci' },
    ]);
    expect(t.kernel.writes).toEqual([
      W(`bus/pci/devices/${GPU}/driver_override`, 'vfio-pci'),
      W(`bus/pci/devices/${GPU}/driver/unbind`, GPU),
      W('bus/pci/drivers_probe', GPU),
      W(`bus/pci/devices/${AUDIO}/driver_override`, 'vfio-pci'),
      W(`bus/pci/devices/${AUDIO}/driver/unbind`, AUDIO),
      W('bus/pci/drivers_probe', AUDIO),
    ]);
    expect([await t.driver(GPU), await t.driver(AUDIO)]).toEqual(['vfio-pci', 'vfio-pci']);
    const info = await t.call('gpu.info', { id: '5090' });
    expect(info.checks.find((c) => c.id === 'driver')).toMatchObject({ status: 'ok', reason: 'bound to vfio-pci: ready for a VM' });
    expect(t.events).toContainEqual({ address: GPU, action: 'bind', ok: true, driver: 'vfio-pci' });

    t.kernel.writes.length = 0;
    const back = await t.call('gpu.reattach', { addresses: [GPU] });
    expect(back.results[0]!.devices).toEqual([
      { address: GPU, from: 'vfio-pci', to: 'nvidia' },
      { address: AUDIO, from: 'vfio-pci', to: 'snd_hda_intel' },
    ]);
    expect(t.kernel.writes).toEqual([
      W(`bus/pci/devices/${GPU}/driver_override`, '\n'),
      W(`bus/pci/devices/${GPU}/driver/unbind`, GPU),
      W('bus/pci/drivers_probe', GPU),
      W(`bus/pci/devices/${AUDIO}/driver_override`, '\n'),
      W(`bus/pci/devices/${AUDIO}/driver/unbind`, AUDIO),
      W('bus/pci/drivers_probe', AUDIO),
    ]);
    expect([await t.driver(GPU), await t.override(GPU)]).toEqual(['nvidia', '(null)']);
  });

  it('unbind leaves the unit without a driver (one write per device); reattach brings the remembered driver back', async () => {
    const t = await setup('desktop-rtx5090');
    const r = await t.call('gpu.unbind', { addresses: [GPU] });
    expect(r.results[0]!.devices).toEqual([{ address: GPU, from: 'nvidia' }, { address: AUDIO, from: 'snd_hda_intel' }]);
    expect(t.kernel.writes).toEqual([W(`bus/pci/devices/${GPU}/driver/unbind`, GPU), W(`bus/pci/devices/${AUDIO}/driver/unbind`, AUDIO)]);
    expect(await t.driver(GPU)).toBeUndefined();
    const back = await t.call('gpu.reattach', { addresses: [GPU] });
    expect(back.ok).toBe(true);
    expect([await t.driver(GPU), await t.driver(AUDIO)]).toEqual(['nvidia', 'snd_hda_intel']);
  });

  it('a busy companion midway restores every device of the group to its original driver', async () => {
    const t = await setup('desktop-rtx5090', { busy: [AUDIO] });
    const r = await t.call('gpu.bind', { addresses: [GPU] });
    expect(r.ok).toBe(false);
    expect(r.results[0]!.error).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('non-zero usage count'), fix: expect.stringContaining('fuser') });
    expect(t.kernel.writes).toEqual([
      W(`bus/pci/devices/${GPU}/driver_override`, 'vfio-pci'),
      W(`bus/pci/devices/${GPU}/driver/unbind`, GPU),
      W('bus/pci/drivers_probe', GPU),
      W(`bus/pci/devices/${AUDIO}/driver_override`, 'vfio-pci'),
      W(`bus/pci/devices/${AUDIO}/driver/unbind`, AUDIO), // EBUSY
      // rollback, newest first: the audio function keeps its driver, its override is cleared…
      W(`bus/pci/devices/${AUDIO}/driver_override`, '\n'),
      // …and the GPU goes back from vfio-pci to nvidia.
      W(`bus/pci/devices/${GPU}/driver/unbind`, GPU),
      W(`bus/pci/devices/${GPU}/driver_override`, '\n'),
      W('bus/pci/drivers/nvidia/bind', GPU),
    ]);
    expect([await t.driver(GPU), await t.override(GPU), await t.driver(AUDIO), await t.override(AUDIO)]).toEqual(['nvidia', '(null)', 'snd_hda_intel', '(null)']);
    const memo = JSON.parse(await readFile(join(home!.dir, 'data/gpu/original-drivers.json'), 'utf8'));
    expect(memo).toEqual({});
  });

  it('an unbind that blocks times out and changes nothing', async () => {
    const t = await setup('desktop-rtx5090', { hangUnbind: [GPU] });
    const r = await t.call('gpu.bind', { addresses: [GPU] });
    expect(r.results[0]!.error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('did not return within 0.3 s') });
    expect([await t.driver(GPU), await t.override(GPU), await t.driver(AUDIO)]).toEqual(['nvidia', '(null)', 'snd_hda_intel']);
  });

  it('a probe that binds nothing times out waiting for the vfio-pci link and restores the host driver', async () => {
    const t = await setup('desktop-rtx5090', { ignoreProbe: [GPU] });
    const r = await t.call('gpu.bind', { addresses: [GPU] });
    expect(r.results[0]!.error).toMatchObject({ code: 'TIMEOUT', message: `${GPU} is unbound after 0.3 s, expected vfio-pci` });
    expect([await t.driver(GPU), await t.override(GPU)]).toEqual(['nvidia', '(null)']);
  });

  it('--include-group moves the USB controller and the NIC with the GPU, never the bridge', async () => {
    const t = await setup('shared-group');
    const r = await t.call('gpu.bind', { addresses: ['0000:05:00.0'], includeGroup: true });
    expect(r.results[0]!.devices.map((d) => d.address)).toEqual(['0000:05:00.0', '0000:05:00.1', '0000:06:00.0', '0000:07:00.0']);
    expect(await t.driver('0000:04:00.0')).toBe('pcieport');
    expect(await t.driver('0000:07:00.0')).toBe('vfio-pci');
  });

  it('bulk: one result per address, a companion reports its GPU, a non-GPU fails alone', async () => {
    const t = await setup('desktop-rtx5090');
    const r = await t.call('gpu.bind', { addresses: [GPU, AUDIO, '0000:00:14.0'] });
    expect(r.results.map((x) => [x.address, x.ok])).toEqual([[GPU, true], [AUDIO, true], ['0000:00:14.0', false]]);
    expect(r.results[1]!.message).toContain(`together with ${GPU}`);
    expect(r.results[2]!.error).toMatchObject({ code: 'INVALID_INPUT', message: '0000:00:14.0 is a USB controller, not a GPU: Nova moves GPUs and the functions that come with them' });
    expect(t.kernel.writes).toHaveLength(6);
  });
});

describe('bad input writes nothing', () => {
  it.each([
    ['shared-group', '0000:05:00.0', 'CONFLICT', /IOMMU group 11 of 0000:05:00.0 is not viable: it also holds 0000:06:00.0 \(USB controller, xhci_hcd\), 0000:07:00.0/],
    ['no-iommu', GPU, 'HOST_UNSUPPORTED', /the IOMMU is off/],
    ['desktop-rtx5090', '0000:00:02.0', 'CONFLICT', /drives the host display \(kwin_wayland, pid 1432/],
    ['desktop-rtx5090', '0000:02:00.0', 'INVALID_INPUT', /is a Non-Volatile memory controller, not a GPU/],
    ['desktop-rtx5090', '0000:09:00.0', 'NOT_FOUND', /no PCI device 0000:09:00.0/],
  ] as const)('%s: bind %s → %s', async (scenario, addr, code, message) => {
    const t = await setup(scenario);
    const r = await t.call('gpu.bind', { addresses: [addr] });
    expect(r.results[0]!.error).toMatchObject({ code, message: expect.stringMatching(message) });
    expect(t.kernel.writes).toEqual([]);
  });

  it('an invalid address is rejected by the contract, naming the field', async () => {
    const t = await setup('desktop-rtx5090');
    await expect(t.call('gpu.bind', { addresses: ['01:00'] })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('addresses.0') });
    expect(t.kernel.writes).toEqual([]);
  });

  it('not root and no helper: PERMISSION naming the polkit action and how to start nova privd, before any write, with no sudo advice', async () => {
    home = await tempHome('nova-gpu-act-');
    homes.push(home);
    const root = await buildScenario('desktop-rtx5090', join(home.dir, 'host'));
    const env = { ...home.env, NOVA_PRIVD_SOCKET: join(home.dir, 'no-privd.sock') };
    const engine = home.engine({ sysfsRoot: root, env }, [createGpuModule({ devices: () => helperDeviceOps(env) })]);
    // The one guard (installed by the system module in a full engine), for a user without the rights.
    engine.dispatcher.guard(privilegeGuard(env, () => ({ euid: 1000, capEff: 0n })));
    const guarded = engine.dispatcher.invoke('gpu.bind', { addresses: [GPU] });
    await expect(guarded).rejects.toMatchObject({
      code: 'PERMISSION',
      message: expect.stringMatching(/^Binding 0000:01:00\.0 needs CAP_DAC_OVERRIDE.*org\.nova\.manage-devices.*nova privd/),
      details: { action: 'org.nova.manage-devices' },
    });
    // --force takes a device the host is using: the stricter action is named as well.
    await expect(engine.dispatcher.invoke('gpu.bind', { addresses: [GPU], force: true })).rejects.toMatchObject({
      code: 'PERMISSION',
      message: expect.stringContaining('polkit allows org.nova.manage-devices and org.nova.manage-devices-force'),
      details: { action: 'org.nova.manage-devices-force' },
    });
    // Past the guard (a stale socket file), the helper client says the same.
    const direct = home.engine({ sysfsRoot: root, env }, [createGpuModule({ devices: () => helperDeviceOps(env) })]);
    const r = await direct.dispatcher.invoke('gpu.reattach', { addresses: [GPU] });
    expect(r.results[0]!.error).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('polkit allows org.nova.manage-devices') });
    expect(r.results[0]!.error!.fix).toContain('nova privd');
    expect(JSON.stringify([r, await guarded.catch((e: unknown) => e)])).not.toContain('sudo');
    expect((await readFile(join(root, 'bus/pci/devices', GPU, 'driver_override'), 'utf8')).trim()).toBe('(null)');
    // A kernel that refuses the write (EACCES) names the helper too.
    const t = await setup('desktop-rtx5090', { readOnly: true });
    const denied = await t.call('gpu.unbind', { addresses: [GPU] });
    expect(denied.results[0]!.error).toMatchObject({ code: 'PERMISSION', fix: expect.stringContaining(`nova gpu unbind ${GPU} writes to /sys/bus/pci: a desktop user's Nova asks its privileged helper (nova privd)`) });
    expect(JSON.stringify(denied)).not.toContain('sudo');
  });
});

describe('gpu.reset', () => {
  it('refuses a GPU in use by the host, resets it once on vfio-pci, explains a missing reset method', async () => {
    const t = await setup('desktop-rtx5090');
    const busy = await t.call('gpu.reset', { addresses: [GPU] });
    expect(busy.results[0]!.error).toMatchObject({ code: 'CONFLICT', message: `${GPU} is in use by nvidia: reset it when it is on vfio-pci or unbound` });
    await t.call('gpu.bind', { addresses: [GPU] });
    t.kernel.writes.length = 0;
    const r = await t.call('gpu.reset', { addresses: [GPU] });
    expect(r.ok).toBe(true);
    expect(t.kernel.writes).toEqual([W(`bus/pci/devices/${GPU}/reset`, '1'), W(`bus/pci/devices/${AUDIO}/reset`, '1')]);
    const s = await setup('shared-group');
    const none = await s.call('gpu.reset', { addresses: ['0000:00:08.1'], force: true });
    expect(none.results[0]!.error).toMatchObject({ code: 'HOST_UNSUPPORTED', message: expect.stringContaining('has no reset method') });
  });
});
