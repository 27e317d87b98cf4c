import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VmInfo } from '../src/shared/contract/vm';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, openView, rpc, shot, test } from './fixtures';
import { overflowing } from './pages/common';
import { VmWizardPage } from './pages/wizard';

// The New VM wizard with two network cards — the first on a Nova switch, the second user-mode NAT
// with a port forward — and a shared folder; the VM's page lists both cards and the share. Defined
// only (not started): what the wizard writes and the page shows is the point, the devices at
// run time are proven by the engine's tests (nics-declared, shares).

const tag = randomBytes(2).toString('hex');
const vm = `e2e-dev-${tag}`;
const net = `e2enic${tag}`;
let folder = '';

test.describe('wizard: several NICs and a shared folder', () => {
  test.beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'nova-e2e-share-'));
    await rpc('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.111.${1 + Math.floor(Math.random() * 250)}.1/24` } });
  });
  test.afterAll(async () => {
    await rpc('vm.delete', { name: vm, disks: true }).catch(() => undefined);
    await rpc('network.rm', { name: net, force: true }).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  });

  test('a switch NIC, a user-mode NIC with a port forward and a share: the VM page shows them', async ({ app }, testInfo) => {
    const guest = await ensureTestGuest();
    await openView(app, 'vms');
    const w = await new VmWizardPage(app).open();
    await w.next();
    await w.dialog.getByLabel('Name').fill(vm);
    await w.goTo('Source');
    await w.dialog.getByTestId('wizard-source-kernel').check();
    await w.dialog.getByTestId('wizard-kernel').fill(guest.kernel);
    await w.dialog.getByLabel('initrd (optional)').fill(guest.initrd);
    await w.dialog.getByLabel('Kernel command line (optional)').fill(TEST_GUEST_CMDLINE);
    await w.goTo('Network');
    await w.dialog.locator('label.field').filter({ hasText: 'Network' }).locator('select').selectOption(net);
    await w.dialog.getByRole('button', { name: 'Add a network card' }).click();
    await w.dialog.getByLabel('NIC 2 network').selectOption('user');
    await w.dialog.getByLabel('NIC 2 port forwards').fill('2222:22 bad');
    await expect(w.dialog.getByText('"bad" is not a port forward')).toBeVisible(); // checked as typed
    await w.dialog.getByLabel('NIC 2 port forwards').fill('127.0.0.1:2222:22');
    await w.next();
    await w.dialog.getByRole('button', { name: 'Add a shared folder' }).click();
    await w.dialog.getByLabel('Folder 1 host path').fill(folder);
    await w.dialog.getByLabel('Folder 1 tag').fill('work');
    await w.goTo('Review');
    const toml = w.dialog.getByTestId('wizard-toml');
    await expect(toml).toContainText(`nics = [{ network = "${net}" }, { network = "user", ports = ["127.0.0.1:2222:22"] }]`);
    await expect(toml).toContainText(`shares = [{ host = "${folder}", tag = "work" }]`);
    await expect(w.dialog.getByTestId('wizard-validation')).toHaveText('valid NovaFile entry');
    await w.dialog.getByTestId('wizard-start-now').uncheck();
    await w.dialog.getByRole('button', { name: 'Create VM' }).click();

    // The VM's page opens on its overview: both cards, in order, and the share with its mount command.
    await expect(app.getByRole('heading', { level: 1, name: vm })).toBeVisible();
    const info = await rpc<VmInfo>('vm.inspect', { name: vm });
    expect(info.spec.nics).toEqual([{ network: net, ports: [] }, { network: 'user', ports: ['127.0.0.1:2222:22'] }]);
    const nic1 = app.getByTestId('vm-nic-0');
    const nic2 = app.getByTestId('vm-nic-1');
    await expect(nic1).toContainText(net);
    await expect(nic1).toContainText(info.mac);
    await expect(nic2).toContainText('user-mode NAT');
    await expect(nic2).toContainText('host 127.0.0.1:2222 → guest 22');
    await expect(nic2).toContainText(info.nics![0]!.mac);
    const share = app.getByTestId('vm-share-work');
    await expect(share).toContainText(folder);
    await expect(share).toContainText('read-write');
    await expect(share).toContainText(info.shares![0]!.mount);
    expect(await overflowing(app), 'the overview with both tables fits at 1280 wide').toEqual([]);
    await shot(app, 'vm-devices', testInfo);
  });
});
