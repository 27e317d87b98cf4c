import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, rpc, shot, test } from './fixtures';
import { InstancesPage } from './pages/instances';
import { SnapshotsPanel } from './pages/snapshots';

// The snapshot manager on a real TCG guest: a live snapshot taken from the UI (progress while the
// RAM is saved), listed with date, size and contents; a confirmed restore rewinds the guest's
// serial counter; a confirmed delete removes it; Cancel changes nothing.

const name = `e2e-snap-${randomBytes(2).toString('hex')}`;
const counters = (text: string) => [...text.matchAll(/nova-counter (\d+)/g)].map((m) => Number(m[1]));
let dir = '';

test.describe('snapshot manager (real TCG VM)', () => {
  test.skip(process.getuid?.() !== 0, 'needs root');

  test.beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nova-e2e-snap-'));
  });
  test.afterAll(async () => {
    await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('take, list, restore (the guest rewinds), delete — with confirmation', async ({ app }, testInfo) => {
    test.setTimeout(240_000);
    const guest = await ensureTestGuest();
    await rpc('vm.create', { name, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '160Mi', cpu: 1, network: 'none', disks: [{ path: join(dir, 'snap.qcow2'), size: '64Mi' }] } });
    const { serialLog } = await rpc<{ serialLog: string }>('vm.start', { name });
    const serial = () => readFileSync(serialLog, 'utf8');
    await expect.poll(() => counters(serial()).length, { timeout: 90_000 }).toBeGreaterThan(2);

    const vms = await new InstancesPage(app, 'vm').open();
    await expect(vms.badge(name)).toHaveText('running', { timeout: 30_000 });
    await vms.openDetail(name);
    const snaps = await new SnapshotsPanel(app).open();
    await expect(app.getByText('Saves RAM and disks')).toBeVisible();

    await snaps.take('before-change');
    await expect(snaps.progress).toContainText('Taking snapshot before-change');
    await expect(snaps.progress).toBeHidden({ timeout: 60_000 });
    const atSnap = Math.max(...counters(serial()));
    const row = snaps.row('before-change');
    await expect(row).toContainText('RAM + disks');
    await expect(row).toContainText(/\d+(\.\d+)? (MiB|KiB|GiB)/);
    await expect(row).toContainText(String(new Date().getFullYear()));
    await shot(app, 'vm-snapshots', testInfo);

    // The guest moves on, then is rewound: its counter starts again from the snapshot's value.
    await expect.poll(() => Math.max(...counters(serial())), { timeout: 30_000 }).toBeGreaterThan(atSnap + 2);
    const seen = counters(serial()).length;
    let dialog = await snaps.confirmRow('before-change', 'Restore');
    await expect(dialog).toContainText(`Restore ${name} to before-change?`);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
    await expect.poll(() => Math.max(...counters(serial()).slice(seen)), { timeout: 10_000 }).toBeGreaterThan(atSnap + 2); // Cancel restored nothing
    dialog = await snaps.confirmRow('before-change', 'Restore');
    const beforeRestore = counters(serial()).length;
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect(vms.feedback.toast(`${name}: restored before-change`)).toBeVisible({ timeout: 60_000 });
    await expect.poll(() => counters(serial()).slice(beforeRestore).some((n) => n <= atSnap + 1), { timeout: 30_000 }).toBe(true);
    await expect(vms.detailState).toHaveText('running');

    dialog = await snaps.confirmRow('before-change', 'Delete');
    await expect(dialog).toContainText('Delete snapshot before-change?');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(snaps.row('before-change')).toBeHidden({ timeout: 30_000 });
    await expect(app.getByText('No snapshots yet')).toBeVisible();
    expect((await rpc<{ snapshots: unknown[] }>('vm.snapshot.list', { name })).snapshots).toEqual([]);

    // The disk chain: the base image alone and current, then an external snapshot of the running
    // VM freezes it under a new overlay that becomes current.
    await expect(snaps.chainLayer('disk0', 'base')).toContainText('current');
    const linesBefore = counters(serial()).length;
    await snaps.take('ext-1', { external: true });
    const outcome = vms.feedback.toast(/external snapshot ext-1 taken|vm\.snapshot\.create failed/);
    await expect(outcome).toBeVisible({ timeout: 60_000 });
    await expect(outcome).toContainText(`${name}: external snapshot ext-1 taken`);
    const top = snaps.chainLayer('disk0', 'ext-1');
    await expect(top).toContainText('External snapshot ext-1');
    await expect(top).toContainText('current');
    await expect(top).toContainText('disk only');
    await expect(top).toContainText(/\d+(\.\d+)? (KiB|MiB|GiB|B) on disk/);
    await expect(snaps.chainLayer('disk0', 'base').locator('> .chain-line')).toContainText('frozen');
    await expect(snaps.chainLayer('disk0', 'base').locator('> .chain-line')).toContainText('snap.qcow2');
    await expect(app.getByText('No internal snapshots')).toBeVisible();
    await shot(app, 'vm-snapshot-chain', testInfo);
    const { chain } = await rpc<{ chain: { layers: { externalTag?: string; current: boolean }[] }[] }>('vm.snapshot.list', { name });
    expect(chain[0]!.layers.map((l) => [l.externalTag, l.current])).toEqual([[undefined, false], ['ext-1', true]]);
    await expect.poll(() => counters(serial()).length, { timeout: 30_000 }).toBeGreaterThan(linesBefore + 2); // the guest runs on, on the overlay
    await expect(vms.detailState).toHaveText('running');

    // External snapshots are restored and deleted with the VM stopped (its QEMU holds the chain).
    await expect(snaps.chainButton('disk0', 'ext-1', 'Restore')).toBeDisabled();
    await expect(snaps.chain).toContainText(`Stop ${name} to restore or delete an external snapshot`);
    await rpc('vm.stop', { name, force: true });
    await expect(vms.detailState).toHaveText('stopped', { timeout: 10_000 });
    await snaps.take('ext-2', { external: true });
    await expect(vms.feedback.toast(`${name}: external snapshot ext-2 taken`)).toBeVisible({ timeout: 30_000 });
    await expect(snaps.chainLayer('disk0', 'ext-2')).toContainText('current');
    // Restore ext-1: the layer above it goes, ext-1 is current again.
    dialog = await snaps.confirmChain('disk0', 'ext-1', 'Restore');
    await expect(dialog).toContainText(`Restore ${name} to external snapshot ext-1?`);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await expect(vms.feedback.toast(`${name}: restored ext-1`)).toBeVisible({ timeout: 30_000 });
    await expect(snaps.chainLayer('disk0', 'ext-2')).toHaveCount(0);
    await expect(snaps.chainLayer('disk0', 'ext-1').locator('> .chain-line')).toContainText('current');
    // Delete ext-1: its overlay merges into the base, which is current again.
    dialog = await snaps.confirmChain('disk0', 'ext-1', 'Delete');
    await expect(dialog).toContainText('Delete external snapshot ext-1?');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect(vms.feedback.toast(`${name}: snapshot ext-1 deleted`)).toBeVisible({ timeout: 30_000 });
    await expect(snaps.chainLayer('disk0', 'ext-1')).toHaveCount(0);
    await expect(snaps.chainLayer('disk0', 'base').locator('> .chain-line')).toContainText('current');
    await shot(app, 'vm-snapshot-chain-merged', testInfo);
    const after = await rpc<{ chain: { layers: { externalTag?: string; current: boolean }[] }[] }>('vm.snapshot.list', { name });
    expect(after.chain[0]!.layers.map((l) => [l.externalTag, l.current])).toEqual([[undefined, true]]);
    // And the VM boots from the merged disk.
    const restarted = counters(serial()).length;
    await rpc('vm.start', { name });
    await expect.poll(() => counters(serial()).length, { timeout: 90_000 }).toBeGreaterThan(restarted + 2);
  });
});
