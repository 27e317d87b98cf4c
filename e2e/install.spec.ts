import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestGuest } from '../src/test/guest';
import { HAS_ISOLINUX, makeBootIso, makeDataIso } from '../src/test/iso';
import { expect, openView, rpc, shot, test } from './fixtures';
import { VmWizardPage } from './pages/wizard';

// The ISO install flow in the app, on a real TCG guest: the installer ISO dropped onto the wizard
// (this page is a browser on `nova serve`, so it is uploaded into the default pool), a virtio-win
// ISO picked with the file chooser as the second CD, a new disk, then Create: the VM starts and
// its console opens in the app, and the guest's serial log shows the CD booted first.
// (The disk-only second start is proven by src/core/vm/install.test.ts.)

const name = `e2e-iso-${randomBytes(2).toString('hex')}`;
const MARK = `nova-e2e-cd-${randomBytes(3).toString('hex')}`;

test.describe('ISO install flow (real backend)', () => {
  let work: string;
  test.beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'nprv-e2e-iso-'));
  });
  test.afterAll(async () => {
    await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
    for (const f of [`${name}.iso`, 'virtio-win.iso']) await rpc('storage.file.rm', { pool: 'default', name: f }).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  });

  test('drop the installer ISO, pick virtio-win, create: the VM boots the CD with its console open', async ({ app }, testInfo) => {
    test.skip(!HAS_ISOLINUX, 'needs isolinux and syslinux-common to make a bootable test CD');
    test.setTimeout(240_000);
    const guest = await ensureTestGuest();
    const iso = await makeBootIso(work, join(work, `${name}.iso`), guest, MARK);
    const drivers = join(work, 'drivers');
    mkdirSync(drivers);
    writeFileSync(join(drivers, 'viostor.inf'), 'test driver\n');
    const virtioWin = makeDataIso(drivers, join(work, 'virtio-win.iso'), 'virtio-win');

    await openView(app, 'vms');
    const w = await new VmWizardPage(app).open();
    await w.next();
    await w.dialog.getByLabel('Name').fill(name);
    await w.goTo('CPU & memory');
    await w.dialog.getByLabel('vCPUs').fill('1');
    await w.dialog.getByLabel('Memory (GiB)').fill('0.25');
    await w.goTo('Disk');
    await w.dialog.getByLabel('Disk size (GiB)').fill('1');
    await w.goTo('Source');
    await expect(w.dialog.getByTestId('wizard-source-iso')).toBeChecked();

    // Something that is not an ISO is refused with what to drop instead.
    const zone = w.dialog.getByTestId('wizard-iso-drop');
    const dropFile = async (fileName: string, bytes: Buffer) => {
      const dt = await app.evaluateHandle(({ n, b64 }) => {
        const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const d = new DataTransfer();
        d.items.add(new File([bin], n, { type: 'application/octet-stream' }));
        return d;
      }, { n: fileName, b64: bytes.toString('base64') });
      await zone.dispatchEvent('dragover', { dataTransfer: dt });
      await zone.dispatchEvent('drop', { dataTransfer: dt });
    };
    await dropFile('notes.txt', Buffer.from('hello'));
    await expect(w.dialog.getByTestId('wizard-iso-status')).toContainText('notes.txt is not an ISO image');
    // The installer: uploaded to the engine's host, its path filled in.
    await dropFile(`${name}.iso`, readFileSync(iso));
    const stored = join(process.env.NOVA_E2E_NOVA_HOME!, 'data', 'storage', `${name}.iso`);
    await expect(w.dialog.getByTestId('wizard-iso-status')).toContainText('uploaded to the default pool', { timeout: 60_000 });
    await expect(w.dialog.getByTestId('wizard-iso')).toHaveValue(stored);
    expect(readFileSync(stored).equals(readFileSync(iso))).toBe(true);
    // virtio-win (a Linux guest keeps it folded away), chosen with the file picker.
    await w.dialog.getByText('Windows guest? Add the virtio-win drivers ISO').click();
    await w.dialog.getByTestId('wizard-virtio-win-file').setInputFiles(virtioWin);
    await expect(w.dialog.getByTestId('wizard-virtio-win')).toHaveValue(join(process.env.NOVA_E2E_NOVA_HOME!, 'data', 'storage', 'virtio-win.iso'));
    await shot(app, 'vm-wizard-iso', testInfo);

    await w.goTo('Firmware');
    await w.dialog.getByLabel('Firmware').selectOption('bios'); // the test CD boots with isolinux (BIOS)
    await w.goTo('Review');
    const toml = w.dialog.getByTestId('wizard-toml');
    await expect(toml).toContainText('install = true');
    await expect(toml).toContainText(`"${stored}"`);
    await expect(toml).toContainText(`"${join(process.env.NOVA_E2E_NOVA_HOME!, 'data', 'storage', 'virtio-win.iso')}"`);
    await expect(w.dialog.getByTestId('wizard-validation')).toHaveText('valid NovaFile entry');
    await expect(w.dialog.getByTestId('wizard-start-now')).toBeChecked();
    await w.dialog.getByRole('button', { name: 'Create VM' }).click();

    // The VM's page opens on its console, connected to the running guest.
    await expect(app.getByTestId('tab-console')).toHaveAttribute('aria-selected', 'true', { timeout: 60_000 });
    await expect(app.getByTestId('vnc-status')).toHaveText('connected', { timeout: 90_000 });
    // isolinux on the CD booted the kernel with the CD's command line: CD before the empty disk.
    await expect.poll(async () => (await rpc<{ lines: string[] }>('vm.logs', { name })).lines.join('\n'), { timeout: 120_000 }).toContain(MARK);
    await shot(app, 'vm-install-console', testInfo);
    expect(existsSync(join(process.env.NOVA_E2E_NOVA_HOME!, 'data', 'storage', `${name}.qcow2`))).toBe(true);
    await rpc('vm.stop', { name, force: true });
  });
});
