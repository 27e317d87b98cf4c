import { createHash, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
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
  for (let i = 0; i < 7; i++) await dialog.getByRole('button', { name: 'Next' }).click(); // → Review
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

test('the wizard downloads a catalog OS image with its progress and writes the new disk on it', async ({ app }, testInfo) => {
  // A loopback "mirror" with an image and its SHA256SUMS, listed in the user's os-images.json.
  const image = randomBytes(2 * 1024 * 1024);
  const files: Record<string, Buffer> = {
    '/e2e/disk.qcow2': image,
    '/e2e/SHA256SUMS': Buffer.from(`${createHash('sha256').update(image).digest('hex')}  disk.qcow2\n`),
  };
  const server = createServer((req, res) => {
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/e2e/`;
  const catalog = join(process.env.NOVA_E2E_NOVA_HOME!, 'config', 'os-images.json');
  writeFileSync(catalog, JSON.stringify({ images: [{ name: 'e2e-linux', title: 'E2E Linux', os: 'linux', kind: 'cloud', base, file: 'disk.qcow2', checksums: { algorithm: 'sha256', file: 'SHA256SUMS' } }] }));
  try {
    await openView(app, 'vms');
    const w = await new VmWizardPage(app).open();
    await w.next();
    await w.dialog.getByLabel('Name').fill('from-catalog');
    await w.goTo('Source');
    await w.dialog.getByTestId('wizard-source-catalog').check();
    await w.dialog.getByTestId('wizard-os-image').selectOption('e2e-linux');
    await expect(w.dialog.getByRole('button', { name: 'Next' })).toBeEnabled();
    await w.dialog.getByTestId('wizard-os-pull').click();
    await expect(w.dialog.getByTestId('wizard-os-progress')).toContainText('downloaded: 2.0 MiB', { timeout: 30_000 });
    await shot(app, 'vm-wizard-catalog', testInfo);
    await w.goTo('Review');
    const toml = w.dialog.getByTestId('wizard-toml');
    await expect(toml).toContainText(`backing = "${process.env.NOVA_E2E_NOVA_HOME}/data/os-images/e2e-linux/disk.qcow2"`);
    await expect(w.dialog.getByTestId('wizard-validation')).toHaveText('valid NovaFile entry');
  } finally {
    rmSync(catalog, { force: true });
    await new Promise((r) => server.close(r));
  }
});
