import { randomBytes } from 'node:crypto';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, rpc, shot, test } from './fixtures';
import { InstancesPage } from './pages/instances';

// A real QEMU guest (TCG: KVM is broken on this machine) started and stopped from the UI; its
// serial console output arrives in the detail page.

const name = `e2e-vm-${randomBytes(2).toString('hex')}`;

test.describe('VMs (real backend)', () => {

  test.afterAll(async () => {
    await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
  });

  test('start a TCG guest from the list, watch its serial log, force stop and delete it', async ({ app }, testInfo) => {
    test.setTimeout(180_000);
    const guest = await ensureTestGuest();
    await rpc('vm.create', { name, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '256Mi', cpu: 1 } });

    const vms = await new InstancesPage(app, 'vm').open();
    await expect(vms.badge(name)).toHaveText('stopped');
    await vms.button(name, 'Start').click();
    await expect(vms.badge(name)).toHaveText('running', { timeout: 90_000 });
    await expect(vms.feedback.toast(`${name}: started`)).toBeVisible();

    await vms.openDetail(name);
    await expect(vms.detailState).toHaveText('running');
    await app.getByTestId('tab-serial').click();
    const serial = app.getByTestId('serial-log');
    await expect(serial).toContainText('nova-guest: init ready', { timeout: 90_000 });
    const counter = /nova-counter (\d+)/;
    const first = Number(counter.exec((await serial.textContent()) ?? '')?.[1] ?? -1);
    // New lines keep arriving while the page is open.
    await expect.poll(async () => Number([...((await serial.textContent()) ?? '').matchAll(/nova-counter (\d+)/g)].pop()?.[1] ?? -1), { timeout: 30_000 }).toBeGreaterThan(first);
    await shot(app, 'vm-serial', testInfo);

    // The screen over QEMU's VNC WebSocket (noVNC).
    await app.getByTestId('tab-console').click();
    await expect(app.getByTestId('vnc-status')).toHaveText('connected', { timeout: 30_000 });
    await shot(app, 'vm-console', testInfo);

    await app.getByTestId('tab-overview').click();
    await expect(app.getByTestId('inspect')).toContainText('tcg');
    await shot(app, 'vm-detail', testInfo);

    await vms.askFromDetail('Force stop');
    await vms.feedback.confirm('Force stop');
    await expect(vms.detailState).toHaveText('stopped', { timeout: 60_000 });

    await expect(await vms.askFromDetail('Delete')).toContainText(`Delete VM ${name}?`);
    await vms.feedback.confirm('Delete');
    await expect(vms.feedback.toast(`${name} deleted`)).toBeVisible({ timeout: 30_000 });
    await expect(rpc('vm.inspect', { name })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.getByRole('heading', { level: 1, name: 'Virtual machines' })).toBeVisible(); // back on the list
  });
});
