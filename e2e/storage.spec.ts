import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, openView, rpc, shot, test } from './fixtures';
import { StoragePage } from './pages/storage';
import { VmWizardPage } from './pages/wizard';

// Storage pools for real: a folder added in the app, an ISO found in it, the wizard's disk
// created there by qemu-img (never in the server's working directory), usage and delete.

const tag = randomBytes(2).toString('hex');
const vm = `e2e-disk-${tag}`;
const other = `e2e-disk2-${tag}`;
const pool = `e2e-pool-${tag}`;
let folder = '';

test.describe('storage pools', () => {
  test.beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), 'nova-e2e-pool-'));
  });
  test.afterAll(async () => {
    for (const name of [vm, other]) await rpc('vm.delete', { name }).catch(() => undefined);
    await rpc('storage.pool.remove', { name: pool }).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  });

  test('add a folder, pick it in the wizard, the disk lands there with its size and user; VMs created and deleted elsewhere show live; delete it once unused', async ({ app }, testInfo) => {
    writeFileSync(join(folder, 'installer.iso'), Buffer.alloc(1024 * 1024, 7));
    const storage = await new StoragePage(app).open();
    await expect(storage.pool('default')).toContainText(/free of/);
    await storage.addFolder(pool, folder);
    await expect(storage.pool(pool)).toContainText(folder);
    await expect(storage.file('installer.iso')).toContainText('1.0 MiB');
    await shot(app, 'storage', testInfo);

    await openView(app, 'vms');
    const wizard = await new VmWizardPage(app).open();
    await wizard.next();
    await wizard.dialog.getByLabel('Name').fill(vm);
    await wizard.goTo('Disk');
    await wizard.dialog.getByLabel('Disk size (GiB)').fill('2');
    await wizard.dialog.getByTestId('wizard-pool').selectOption(folder); // options carry the pool's folder
    await expect(wizard.dialog.getByTestId('wizard-disk-path')).toContainText(join(folder, `${vm}.qcow2`));
    await wizard.next();
    await wizard.dialog.getByTestId('wizard-iso-pick').selectOption(join(folder, 'installer.iso'));
    await wizard.goTo('Review');
    await expect(wizard.dialog.getByTestId('wizard-toml')).toContainText(`path = "${join(folder, `${vm}.qcow2`)}"`);
    await wizard.dialog.getByTestId('wizard-start-now').uncheck(); // the disk is what this test is about
    await wizard.dialog.getByRole('button', { name: 'Create VM' }).click();
    // After Create the app opens the new VM's page (at once, not after a start: it used to open it
    // seconds later, pulling the user off the view they had gone to meanwhile).
    await expect(app.getByRole('heading', { level: 1, name: vm })).toBeVisible();
    expect(existsSync(join(folder, `${vm}.qcow2`))).toBe(true);
    expect(existsSync(join(process.env.NOVA_E2E_HOME!, `${vm}.qcow2`))).toBe(false); // the server's working directory

    await storage.open();
    const disk = storage.file(`${vm}.qcow2`);
    await expect(disk).toContainText('2.0 GiB');
    await expect(disk).toContainText(vm);
    await expect(storage.file('installer.iso')).toContainText(vm);
    // A VM created elsewhere (a script, the CLI) with a disk in the pool shows up live, its user
    // with it (the view refetches on the engine's resource.changed events, no reload, no timer).
    await rpc('vm.create', { name: other, spec: { memory: '64Mi', network: 'none', disks: [{ path: join(folder, `${other}.qcow2`), size: '1Gi' }] } });
    await expect(storage.file(`${other}.qcow2`)).toContainText('1.0 GiB');
    await expect(storage.file(`${other}.qcow2`)).toContainText(other);
    await rpc('vm.delete', { name: other, disks: true }); // deleted with its disk: the row goes
    await expect(storage.file(`${other}.qcow2`)).toHaveCount(0);
    await expect(disk.getByRole('button', { name: 'Delete' })).toBeDisabled();
    await rpc('vm.delete', { name: vm, disks: false }); // keep the disk: the storage view shows it unused
    await expect(disk).toContainText('unused'); // a VM deleted elsewhere frees it without a reload
    await disk.getByRole('button', { name: 'Delete' }).click();
    await app.getByTestId('confirm-dialog').getByRole('button', { name: 'Delete' }).click();
    await expect(disk).toHaveCount(0);
    expect(existsSync(join(folder, `${vm}.qcow2`))).toBe(false);
  });
});
