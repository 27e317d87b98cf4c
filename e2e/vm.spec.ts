import { randomBytes } from 'node:crypto';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, openView, rpc, shot, test } from './fixtures';

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

    await openView(app, 'vms');
    const row = app.getByTestId(`row-${name}`);
    await expect(row.locator('.badge')).toHaveText('stopped');
    await row.getByRole('button', { name: 'Start', exact: true }).click();
    await expect(row.locator('.badge')).toHaveText('running', { timeout: 90_000 });
    await expect(app.getByTestId('toast').filter({ hasText: `${name}: started` })).toBeVisible();

    await row.getByRole('button', { name }).click();
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

    await app.getByRole('button', { name: 'Force stop' }).click();
    await app.getByTestId('confirm-dialog').getByRole('button', { name: 'Force stop' }).click();
    await expect(app.locator('.view-header .badge')).toHaveText('stopped', { timeout: 60_000 });

    await app.getByRole('button', { name: 'Delete' }).click();
    await expect(app.getByTestId('confirm-dialog')).toContainText(`Delete VM ${name}?`);
    await app.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(app.getByTestId('toast').filter({ hasText: `${name} deleted` })).toBeVisible({ timeout: 30_000 });
    await expect(rpc('vm.inspect', { name })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(app.getByRole('heading', { level: 1, name: 'Virtual machines' })).toBeVisible(); // back on the list
  });
});
