import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { VmInfo } from '../src/shared/contract/vm';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, rpc, shot, test } from './fixtures';
import { InstancesPage } from './pages/instances';

// A real QEMU guest (TCG: KVM is broken on this machine) started and stopped from the UI; its
// serial console output arrives in the detail page; its console's clipboard box reaches the guest's
// vdagent (clipboard = true; the test guest's nova-vdagent) both ways.

const name = `e2e-vm-${randomBytes(2).toString('hex')}`;

test.describe('VMs (real backend)', () => {

  test.afterAll(async () => {
    await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
  });

  test('start a TCG guest from the list, watch its serial log, force stop and delete it', async ({ app }, testInfo) => {
    test.setTimeout(180_000);
    const guest = await ensureTestGuest();
    await rpc('vm.create', { name, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '256Mi', cpu: 1, clipboard: true } });

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
    // The clipboard box: text sent reaches the guest's agent; text the guest copies shows up.
    const { serialLog } = await rpc<VmInfo>('vm.inspect', { name });
    await expect.poll(() => readFileSync(serialLog, 'utf8'), { timeout: 60_000 }).toContain('nova-vdagent: capabilities exchanged');
    await app.getByTestId('clipboard-toggle').click();
    const toGuest = `to-the-guest-${name}`;
    await app.getByTestId('clipboard-text').fill(toGuest);
    await app.getByRole('button', { name: 'Send to guest' }).click();
    await expect.poll(() => readFileSync(serialLog, 'utf8'), { timeout: 30_000 }).toContain(`nova-vdagent: clipboard from the host: ${toGuest}`);
    const fromGuest = `from-the-guest-${name}`;
    await expect.poll(() => rpc<{ exitCode: number }>('vm.exec', { name, command: ['sh', '-c', `printf '%s' ${fromGuest} > /tmp/clip-grab`] }).then((r) => r.exitCode, () => -1), { timeout: 90_000 }).toBe(0);
    await expect(app.getByTestId('guest-clipboard')).toHaveText(fromGuest, { timeout: 30_000 });
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
