import { expect, openView, shot, test } from './fixtures';

test('the win11 wizard produces the expected NovaFile entry, validated by the engine', async ({ app }, testInfo) => {
  await openView(app, 'vms');
  await app.getByTestId('new-vm').click();
  const dialog = app.getByRole('dialog', { name: 'New virtual machine' });
  await dialog.getByRole('radio', { name: /win11/ }).click();
  await dialog.getByRole('button', { name: 'Next' }).click(); // → Name
  await expect(dialog.getByLabel('Name')).toHaveValue('win11');
  await dialog.getByLabel('Name').fill('win11-e2e');
  await dialog.getByRole('button', { name: 'Next' }).click(); // → CPU & memory
  await expect(dialog.getByTestId('memory-guidance')).toContainText('balloon');
  for (let i = 0; i < 6; i++) await dialog.getByRole('button', { name: 'Next' }).click(); // → Review
  const toml = dialog.getByTestId('wizard-toml');
  await expect(toml).toContainText('[vm.win11-e2e]');
  for (const line of ['cpu = 4', 'memory = "8Gi"', 'preset = "win11"', 'os = "windows"', 'firmware = "uefi"', 'secure_boot = true', 'tpm = true', 'size = "64Gi"'])
    await expect(toml).toContainText(line);
  // The disk goes into the default storage pool under Nova's data dir, never the server's working directory.
  await expect(toml).toContainText(`path = "${process.env.NOVA_E2E_NOVA_HOME}/data/storage/win11-e2e.qcow2"`);
  // The engine rendered the preset (same as `nova vm wizard`): virtio disk and its guidance.
  await expect(toml).toContainText('bus = "virtio"');
  await expect(dialog.getByTestId('wizard-guidance')).toContainText('viostor');
  // The engine's NovaFile validator accepts it.
  await expect(dialog.getByTestId('wizard-validation')).toHaveText('valid NovaFile entry');
  await shot(app, 'vm-wizard-review', testInfo);
});

test('the wizard refuses a bad name with the rule to follow', async ({ app }) => {
  await openView(app, 'vms');
  await app.getByTestId('new-vm').click();
  const dialog = app.getByRole('dialog', { name: 'New virtual machine' });
  await dialog.getByRole('button', { name: 'Next' }).click();
  await dialog.getByLabel('Name').fill('Bad Name');
  await expect(dialog.getByText('use 1-63 lowercase letters')).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Next' })).toBeDisabled();
});
