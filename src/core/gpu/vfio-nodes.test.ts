// The device steps as `nova privd` runs them (a VFIO node folder and a caller to hand it to),
// against a fixture tree whose kernel reacts to the writes: who owns /dev/vfio/N after each step,
// and that a failure puts the owner back with the drivers.
import { mkdirSync, readlinkSync, statSync, symlinkSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { resolvePaths } from '../sys/paths.js';
import { directDeviceOps } from './device-ops.js';
import { FixtureKernel } from './testing/fake-kernel.js';
import { buildScenario } from './testing/hosts.js';

const GPU = '0000:01:00.0';
const CALLER = { uid: 4242, gid: 4343 };
const homes: TempHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await h.cleanup();
});

async function setup() {
  const home = await tempHome('nova-vfio-');
  homes.push(home);
  const root = await buildScenario('desktop-rtx5090', join(home.dir, 'host'));
  const vfio = join(home.dir, 'vfio');
  mkdirSync(vfio);
  writeFileSync(join(vfio, '14'), '', { mode: 0o600 });
  const kernel = new FixtureKernel(root);
  const ops = directDeviceOps({ root, paths: resolvePaths(home.env), writer: kernel, vfioDir: vfio, writeTimeoutMs: 300, linkTimeoutMs: 300 });
  const node = () => {
    const st = statSync(join(vfio, '14'));
    return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
  };
  const driver = () => basename(readlinkSync(join(root, 'bus/pci/devices', GPU, 'driver')));
  return { home, vfio, kernel, ops, node, driver };
}

describeHost('VFIO group nodes handed over by the device steps', { root: true }, () => {
  it('bind hands /dev/vfio/N to the caller; a reattach that fails midway leaves it theirs, a good one gives it to root', async () => {
    const t = await setup();
    await t.ops.act('bind', GPU, { handTo: CALLER });
    expect([t.driver(), t.node()]).toEqual(['vfio-pci', { ...CALLER, mode: 0o600 }]);
    t.kernel.faults = { busy: [GPU] };
    await expect(t.ops.act('reattach', GPU, { handTo: CALLER })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect([t.driver(), t.node()]).toEqual(['vfio-pci', { ...CALLER, mode: 0o600 }]);
    t.kernel.faults = {};
    await t.ops.act('reattach', GPU, { handTo: CALLER });
    expect([t.driver(), t.node()]).toEqual(['nvidia', { uid: 0, gid: 0, mode: 0o600 }]);
  });

  it('release gives the node back and leaves the devices on vfio-pci; a root engine (no handTo) never touches it', async () => {
    const t = await setup();
    await t.ops.act('bind', GPU, { handTo: CALLER });
    await t.ops.release(GPU);
    expect([t.driver(), t.node()]).toEqual(['vfio-pci', { uid: 0, gid: 0, mode: 0o600 }]);
    await t.ops.act('reattach', GPU);
    await t.ops.act('bind', GPU);
    expect(t.node()).toEqual({ uid: 0, gid: 0, mode: 0o600 });
  });

  it('a symbolic link where the node should be is refused and the bind undone; its target keeps its owner', async () => {
    const t = await setup();
    const victim = join(t.home.dir, 'victim');
    writeFileSync(victim, 'secret', { mode: 0o600 });
    rmSync(join(t.vfio, '14'));
    symlinkSync(victim, join(t.vfio, '14'));
    await expect(t.ops.act('bind', GPU, { handTo: CALLER })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('is not the VFIO group device (a symbolic link)') });
    expect(t.driver()).toBe('nvidia');
    expect(statSync(victim).uid).toBe(0);
  });
});
