import { randomBytes } from 'node:crypto';
import { expect, openView, rpc, shot, test } from './fixtures';

// A real switch (bridge + nft + dnsmasq) created from the dialog, inside the namespace the
// global setup gave this run's engine (NOVA_NETNS): the host's own network is never touched.

const name = `e2e${randomBytes(2).toString('hex')}`;
const octet = 100 + Math.floor(Math.random() * 100);

test.describe('networks (real backend)', () => {
  test.skip(!process.env.NOVA_E2E_NETNS, 'needs root for a namespace-isolated engine');

  test.afterAll(async () => {
    await rpc('network.rm', { name }).catch(() => undefined);
  });

  test('create a NAT network in the dialog, see it active with its settings, then remove it with confirmation', async ({ app }, testInfo) => {
    test.setTimeout(90_000);
    await openView(app, 'networks');
    await app.getByTestId('new-network').click();
    const dialog = app.getByRole('dialog', { name: 'New network' });
    await dialog.getByLabel('Name').fill('Bad Name!');
    await expect(dialog.getByText('use 1-15 lowercase letters')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Create network' })).toBeDisabled();
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Subnet (gateway/prefix)').fill(`10.213.${octet}.1/24`);
    await dialog.getByRole('button', { name: 'Suggest' }).click();
    await expect(dialog.getByLabel('DHCP start')).toHaveValue(`10.213.${octet}.50`);
    await shot(app, 'network-create-dialog', testInfo);
    await dialog.getByRole('button', { name: 'Create network' }).click();
    await expect(app.getByTestId('toast').filter({ hasText: `Network ${name} created` })).toBeVisible({ timeout: 30_000 });

    // The row arrives through resource.list / events, with the host-derived state.
    const row = app.getByTestId(`row-${name}`);
    await expect(row).toBeVisible();
    await expect(row.locator('.badge')).toHaveText('Active', { timeout: 20_000 });
    const info = await rpc<{ state: string; subnet: string; dhcpRange: string }>('network.inspect', { name });
    expect(info).toMatchObject({ state: 'Active', subnet: `10.213.${octet}.1/24` });
    expect(info.dhcpRange).toContain(`10.213.${octet}.50`);

    await row.getByRole('button', { name }).click();
    await expect(app.getByTestId('network-detail')).toContainText(`10.213.${octet}.1/24`);
    await shot(app, 'network-detail', testInfo);
    await app.getByRole('button', { name: '← Back' }).click();

    await openView(app, 'topology');
    await expect(app.getByTestId(`topo-network-${name}`)).toBeVisible();
    await shot(app, 'topology-network', testInfo);

    await openView(app, 'networks');
    await app.getByTestId(`row-${name}`).getByRole('button', { name: 'Remove' }).click();
    const confirmDialog = app.getByTestId('confirm-dialog');
    await expect(confirmDialog).toContainText(`Remove network ${name}?`);
    await confirmDialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(app.getByTestId(`row-${name}`)).toBeVisible();
    await app.getByTestId(`row-${name}`).getByRole('button', { name: 'Remove' }).click();
    await app.getByTestId('confirm-dialog').getByRole('button', { name: 'Remove' }).click();
    await expect(app.getByTestId(`row-${name}`)).toHaveCount(0, { timeout: 20_000 });
    await expect(rpc('network.inspect', { name })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
