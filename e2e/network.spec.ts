import { randomBytes } from 'node:crypto';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, openView, rpc, shot, test } from './fixtures';
import { overflowing } from './pages/common';
import { NetworksPage } from './pages/networks';

// A real switch (bridge + nft + dnsmasq) created from the dialog, inside the namespace the
// global setup gave this run's engine (NOVA_NETNS): the host's own network is never touched.

const name = `e2e${randomBytes(2).toString('hex')}`;
const octet = 100 + Math.floor(Math.random() * 100);
const busy = `busy${randomBytes(2).toString('hex')}`;
const vm = `e2e-user-${randomBytes(2).toString('hex')}`;

test.describe('networks (real backend)', () => {
  test.skip(!process.env.NOVA_E2E_NETNS, 'needs root for a namespace-isolated engine');

  test.afterAll(async () => {
    await rpc('network.rm', { name }).catch(() => undefined);
    await rpc('vm.delete', { name: vm, disks: true }).catch(() => undefined);
    await rpc('network.rm', { name: busy, force: true }).catch(() => undefined);
  });

  test('create a NAT network in the dialog, see it active with its settings, then remove it with confirmation', async ({ app }, testInfo) => {
    test.setTimeout(90_000);
    const nets = await new NetworksPage(app).open();
    await nets.openDialog();
    await nets.fill({ name: 'Bad Name!' });
    await expect(nets.dialog.getByText('use 1-15 lowercase letters')).toBeVisible();
    await expect(nets.createButton).toBeDisabled();
    await nets.fill({ name, subnet: `10.213.${octet}.1/24`, suggest: true });
    await expect(nets.dhcpStart()).toHaveValue(`10.213.${octet}.50`);
    await shot(app, 'network-create-dialog', testInfo);
    await nets.createButton.click();
    await expect(nets.feedback.toast(`Network ${name} created`)).toBeVisible({ timeout: 30_000 });

    // The row arrives through resource.list / events, with the host-derived state.
    await expect(nets.row(name)).toBeVisible();
    await expect(nets.badge(name)).toHaveText('Active', { timeout: 20_000 });
    const info = await rpc<{ state: string; subnet: string; dhcpRange: string }>('network.inspect', { name });
    expect(info).toMatchObject({ state: 'Active', subnet: `10.213.${octet}.1/24` });
    expect(info.dhcpRange).toContain(`10.213.${octet}.50`);

    await nets.openDetail(name);
    await expect(nets.detail).toContainText(`10.213.${octet}.1/24`);
    await expect(nets.detailState).toHaveText('Active');
    await shot(app, 'network-detail', testInfo);
    await nets.back();

    await openView(app, 'topology');
    await expect(app.getByTestId(`topo-network-${name}`)).toBeVisible();
    await shot(app, 'topology-network', testInfo);

    await nets.open();
    await expect(await nets.askFromRow(name, 'Remove')).toContainText(`Remove network ${name}?`);
    await nets.feedback.cancel();
    await expect(nets.row(name)).toBeVisible();
    await nets.askFromRow(name, 'Remove');
    await nets.feedback.confirm('Remove');
    await expect(nets.row(name)).toHaveCount(0, { timeout: 20_000 });
    await expect(rpc('network.inspect', { name })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('removing a network in use lists its users and offers to detach them (instead of "in use by vm …")', async ({ app }, testInfo) => {
    test.setTimeout(90_000);
    const guest = await ensureTestGuest();
    await rpc('network.create', { name: busy, spec: { profile: 'isolated', subnet: `10.214.${octet}.1/24` } });
    await rpc('vm.create', { name: vm, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
    // A stopped VM's NIC for its next start: the TAP is on the bridge, so a plain network.rm refuses.
    await rpc('vm.nic.attach', { name: vm, network: busy });
    await expect(rpc('network.rm', { name: busy })).rejects.toMatchObject({ code: 'CONFLICT' });

    const nets = await new NetworksPage(app).open();
    // Its page with an attachment (the forward form gets an owner picker) fits 1280 px: no sideways scroll.
    await nets.openDetail(busy);
    await expect(nets.detail).toContainText(vm);
    expect(await overflowing(app)).toEqual([]);
    await shot(app, 'network-detail-attached', testInfo);
    await nets.back();
    await nets.button(busy, 'Remove').click();
    await expect(nets.removeDialog).toBeVisible();
    await expect(app.getByRole('dialog', { name: `Remove network ${busy}?` })).toContainText('in use by 1 instance');
    await expect(nets.user('vm', vm)).toContainText('no carrier');
    await expect(nets.user('vm', vm)).toContainText(`dropped from the stopped VM`);
    await shot(app, 'network-remove-in-use', testInfo);
    // Cancel changes nothing.
    await nets.removeDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(nets.removeDialog).toBeHidden();
    expect((await rpc<{ attachments: unknown[] }>('network.inspect', { name: busy })).attachments).toHaveLength(1);

    await nets.button(busy, 'Remove').click();
    await nets.removeDialog.getByRole('button', { name: 'Detach it and remove' }).click();
    await expect(nets.feedback.toast(`Network ${busy} removed`)).toBeVisible({ timeout: 30_000 });
    await expect(nets.row(busy)).toHaveCount(0, { timeout: 20_000 });
    await expect(rpc('network.inspect', { name: busy })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await rpc<{ nics?: unknown[] }>('vm.inspect', { name: vm })).nics).toBeUndefined(); // detached, not just deleted under it
  });
});
