import { expect, openView, shot, test } from './fixtures';
import { VmWizardPage } from './pages/wizard';

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
  // The shared preset rendering (what `nova wizard vm` prints): virtio disk and its guidance.
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

test('gpu-labs has the values `nova wizard vm --preset gpu-labs` writes from its first steps on', async ({ app }) => {
  await openView(app, 'vms');
  const w = await new VmWizardPage(app).open();
  await w.dialog.getByRole('radio', { name: /gpu-labs/ }).click();
  await w.goTo('CPU & memory');
  await expect(w.dialog.getByLabel('vCPUs')).toHaveValue('8');
  await expect(w.dialog.getByLabel('Memory (GiB)')).toHaveValue('16');
  await expect(w.dialog.getByLabel('Memory balloon')).not.toBeChecked(); // VFIO pins guest memory
  await expect(w.dialog.getByLabel('Memory balloon')).toBeDisabled();
  await w.goTo('Firmware');
  await expect(w.dialog.getByLabel('Secure Boot (Microsoft keys)')).toBeChecked();
  await expect(w.dialog.getByLabel('TPM 2.0 (swtpm)')).toBeChecked();
  await w.goTo('Review');
  const toml = w.dialog.getByTestId('wizard-toml');
  for (const line of ['[vm.gpu-labs]', 'preset = "gpu-labs"', 'os = "windows"', 'cpu = 8', 'memory = "16Gi"', 'secure_boot = true', 'tpm = true', 'balloon = false', 'gpu_passthrough = true', 'hugepages = true'])
    await expect(toml).toContainText(line);
  await expect(w.dialog.getByTestId('wizard-guidance')).toContainText('Hugepages: reserve 8192');
  await expect(w.dialog.getByTestId('wizard-validation')).toHaveText('valid NovaFile entry');
});
