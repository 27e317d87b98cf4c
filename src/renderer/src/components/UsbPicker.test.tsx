// @vitest-environment happy-dom
// The VM detail view's USB tab against a real engine run by an ordinary user (its own process, as
// the app's main process is: under happy-dom the engine cannot run in this process, whose
// AbortController is the DOM's) with two real TCG guests (QEMU's usb-host on the sysfs fixture's
// bus and port, as in usb-attach.test.ts: this CI host has no USB bus): who holds each device, and
// its Attach/Detach buttons calling vm.usb.attach/detach for this VM, which QEMU then holds.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { usbFixture } from '../../../core/vm/__fixtures__/usb.js';
import type { UsbDevice } from '../../../shared/contract/usb.js';
import type { NovaBridge } from '../../../shared/bridge.js';
import { NovaError } from '../../../shared/errors.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../../test/guest.js';
import { describeHost } from '../../../test/host.js';
import { startUserEngine, userGuestHome } from '../../../test/user-engine.js';
import type { UserEngine } from '../../../test/user-engine.js';
import { createTestUser } from '../../../test/users.js';
import type { HomeUser } from '../../../test/users.js';
import { setBridge } from '../lib/rpc';
import { click, render, waitFor } from '../test/render';
import { UsbPicker } from './UsbPicker';

describeHost('USB picker on a user\'s engine with TCG guests (sysfs fixture)', { root: true, tools: ['qemu-system-x86_64', 'setpriv', 'useradd'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const calls: [string, unknown][] = [];
  const call = <T,>(m: string, input: unknown) => engine.invoke<T>(m, input);

  beforeAll(async () => {
    const guest = await ensureTestGuest();
    user = createTestUser('ngu');
    home = userGuestHome(user, '/tmp/nova-usbui-');
    const env = usbFixture(join(home, 'fixture'));
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    chmodSync(home, 0o755);
    engine = await startUserEngine(user, { NOVA_HOME: home, ...env });
    const bridge: NovaBridge = {
      call: (m, input) => (calls.push([m, input]), engine.invoke(m, input)) as never,
      on: () => () => undefined,
      consoleEndpoint: () => Promise.reject(new NovaError('HOST_UNSUPPORTED', 'no console in this test')),
    };
    setBridge(bridge);
    const spec = (extra: object = {}) => ({ kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none', ...extra });
    await call('vm.create', { name: 'pa', spec: spec() });
    await call('vm.create', { name: 'pb', spec: spec({ usb: ['046d:c52b'] }) });
    await call('vm.start', { name: 'pa' });
    await call('vm.start', { name: 'pb' });
  }, 300_000);

  afterAll(async () => {
    if (engine) {
      for (const n of ['pa', 'pb']) await call('vm.destroy', { name: n }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  const row = (port: string) => document.querySelector(`[data-testid="usb-${port}"]`);
  const cells = (port: string) => [...(row(port)?.querySelectorAll('td') ?? [])].map((c) => c.textContent);
  const button = (port: string) => row(port)?.querySelector('button') as HTMLButtonElement | null;
  const holder = async (port: string) => (await call<{ items: UsbDevice[] }>('usb.list', {})).items.find((d) => d.port === port)?.vm;
  const usbCalls = () => calls.filter(([m]) => m.startsWith('vm.usb'));

  it('shows who holds each device; Attach and Detach call vm.usb.attach/detach for this VM', async () => {
    const { unmount } = await render(<UsbPicker vm="pa" running />);
    try {
      await waitFor(() => expect(cells('1-1.2')).toEqual(['Logitech, Inc. Unifying Receiver', '046d:c52b', '1-1.2', 'pb', 'Attach']), 10_000);
      expect(row('1-1')).toBeNull(); // hubs are not offered
      expect(button('1-1.2')!.disabled).toBe(true);
      expect(button('1-1.2')!.title).toBe('attached to VM pb: detach it there first');
      expect(cells('2-3')).toEqual(['SanDisk Corp. Ultra Fit', '0781:5583', '2-3', 'host', 'Attach']);

      await click(button('2-3'));
      await waitFor(() => expect(cells('2-3').slice(3)).toEqual(['this VM', 'Detach']), 30_000);
      expect(usbCalls()).toEqual([['vm.usb.attach', { name: 'pa', device: '2-3' }]]);
      expect(await holder('2-3')).toBe('pa');

      await click(button('2-3'));
      await waitFor(() => expect(cells('2-3').slice(3)).toEqual(['host', 'Attach']), 30_000);
      expect(usbCalls().at(-1)).toEqual(['vm.usb.detach', { name: 'pa', device: '2-3' }]);
      expect(await holder('2-3')).toBeUndefined();
      expect(await holder('1-1.2')).toBe('pb');
    } finally {
      await unmount();
    }
  }, 120_000);

  it('a stopped VM: Attach is off and the hint says how to have the device at start', async () => {
    const { container, unmount } = await render(<UsbPicker vm="pc" running={false} />);
    await waitFor(() => expect(button('2-3')?.disabled).toBe(true), 10_000);
    expect(container.textContent).toContain('Start the VM to attach a device');
    await unmount();
  });
});
