// USB passthrough through QMP on real TCG guests run by an ordinary user's engine. This host (a
// VM without any USB bus) has no device to pass, so the engine reads a sysfs fixture tree: what is
// proven is Nova's side and QEMU's: device_add usb-host (hostbus + hostport) on an xHCI controller
// Nova hot-plugs into a direct-kernel VM, QEMU holding the device and waiting for it on that port
// (attached = false, as no real device is there), CONFLICT for a second VM, a clear error for a
// device that is not plugged in, detach, and `usb = [...]` at start. Not proven here: a guest
// seeing a real host device (needs a USB bus and /dev/bus/usb access for the user).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import type { UsbDevice } from '../../shared/contract/usb.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE, TEST_GUEST_DIR } from '../../test/guest.js';
import type { TestGuest } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { resolvePaths } from '../sys/paths.js';
import { usbFixture } from './__fixtures__/usb.js';
import { queryPci } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';
import { writeFileSync, mkdirSync } from 'node:fs';

describeHost('USB passthrough over QMP on real TCG guests (sysfs fixture), as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'setpriv', 'useradd'] }, () => {
  let guest: TestGuest;
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  const qmp = <T>(vm: string, fn: Parameters<typeof withQmp<T>>[1]) => withQmp(layoutOf(resolvePaths({ NOVA_HOME: home }), vm).qmp, fn);
  const peripherals = (vm: string) => qmp(vm, (q) => q.execute<{ name: string }[]>('qom-list', { path: '/machine/peripheral' })).then((l) => l.map((p) => p.name));
  const spec = (extra: object = {}) => ({ kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none', ...extra });

  beforeAll(async () => {
    guest = await ensureTestGuest();
    user = createTestUser('nus');
    home = mkdtempSync('/tmp/nova-usb-');
    mkdirSync(join(home, 'config'));
    writeFileSync(join(home, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [TEST_GUEST_DIR] }), { mode: 0o600 });
    const env = usbFixture(join(home, 'fixture'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    chmodSync(home, 0o755);
    engine = await startUserEngine(user, { NOVA_HOME: home, ...env });
  }, 300_000);

  afterAll(async () => {
    if (engine) {
      for (const n of ['ua', 'ub', 'uc']) await call('vm.destroy', { name: n }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('attach adds usb-host on a hot-plugged xHCI; another VM gets CONFLICT; a missing device is a clear error; detach; usb = [...] at start', async () => {
    await call('vm.create', { name: 'ua', spec: spec() });
    await call('vm.create', { name: 'ub', spec: spec() });
    await call('vm.start', { name: 'ua' });
    await call('vm.start', { name: 'ub' });
    // A direct-kernel VM has no USB controller yet.
    expect((await qmp('ua', queryPci)).some((d) => d.qdev_id === 'xhci0')).toBe(false);

    const att = await call<{ device: UsbDevice; qdevId: string; connected: boolean }>('vm.usb.attach', { name: 'ua', device: '046d:c52b' });
    expect(att).toMatchObject({ qdevId: 'usb-1-1.2', connected: false, device: { id: '046d:c52b', port: '1-1.2', vm: 'ua', productName: 'Unifying Receiver' } });
    expect((await qmp('ua', queryPci)).some((d) => d.qdev_id === 'xhci0')).toBe(true);
    expect(await peripherals('ua')).toContain('usb-1-1.2');
    expect(await qmp('ua', (q) => q.execute('qom-get', { path: '/machine/peripheral/usb-1-1.2', property: 'hostport' }))).toBe('1.2');
    expect((await call<VmInfo>('vm.inspect', { name: 'ua' })).usb).toEqual([{ id: '046d:c52b', bus: 1, address: 4, port: '1-1.2' }]);
    const ls = await call<{ items: UsbDevice[] }>('usb.list', {});
    expect(ls.items.find((d) => d.port === '1-1.2')?.vm).toBe('ua');

    await expect(call('vm.usb.attach', { name: 'ub', device: '1-1.2' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('is attached to VM ua: detach it there first') });
    await expect(call('vm.usb.attach', { name: 'ub', device: '1234:5678' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^no USB device 1234:5678 on this host/) });
    // Declared for start while ua holds it: CONFLICT before QEMU runs.
    await call('vm.create', { name: 'uc', spec: spec({ usb: ['046d:c52b'] }) });
    await expect(call('vm.start', { name: 'uc' })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('usb') });

    expect(await call('vm.usb.detach', { name: 'ua', device: '046d:c52b' })).toEqual({ name: 'ua', device: '046d:c52b', detached: true });
    expect(await peripherals('ua')).not.toContain('usb-1-1.2');
    expect((await call<{ items: UsbDevice[] }>('usb.list', {})).items.find((d) => d.port === '1-1.2')?.vm).toBeUndefined();

    // Free again: ub takes it live, then gives it back; uc gets it on its command line at start.
    await call('vm.usb.attach', { name: 'ub', device: '1-1.2' });
    await call('vm.usb.detach', { name: 'ub', device: '1-1.2' });
    await call('vm.stop', { name: 'ua', force: true });
    const uc = await call<VmInfo>('vm.start', { name: 'uc' });
    expect(uc.usb).toEqual([{ id: '046d:c52b', bus: 1, address: 4, port: '1-1.2' }]);
    expect(await peripherals('uc')).toEqual(expect.arrayContaining(['xhci0', 'usb-1-1.2']));
    await expect(call('vm.usb.attach', { name: 'ub', device: '046d:c52b' })).rejects.toMatchObject({ code: 'CONFLICT' });
  }, 300_000);
});
