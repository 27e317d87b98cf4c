import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from '../src/test/capsule-fixtures';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { novaCli } from './cli';
import { expect, openView, rpc, test } from './fixtures';
import { InstancesPage } from './pages/instances';

// One live truth: what another process does (the `nova` CLI in a terminal, kill -9 from a
// shell) shows in the open app within a second, without a reload.

const tag = randomBytes(2).toString('hex');
const LIVE_MS = 1_000;

test.describe('live state from other processes', () => {
  test('a VM started and stopped by the CLI shows running, then stopped, within a second', async ({ app }) => {
    test.setTimeout(180_000);
    const name = `e2e-live-${tag}`;
    const guest = await ensureTestGuest();
    await novaCli('vm', 'create', name, '--kernel', guest.kernel, '--initrd', guest.initrd, '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--cpu', '1', '--network', 'none');
    try {
      const vms = await new InstancesPage(app, 'vm').open();
      await expect(vms.badge(name)).toHaveText('stopped', { timeout: 5_000 }); // created elsewhere: appears without a reload
      await novaCli('vm', 'start', name); // returns once QEMU answered "running"
      await expect(vms.badge(name)).toHaveText('running', { timeout: LIVE_MS });
      await expect(vms.button(name, 'Stop')).toBeVisible();
      await novaCli('vm', 'stop', name, '--force');
      await expect(vms.badge(name)).toHaveText('stopped', { timeout: LIVE_MS });
      await novaCli('vm', 'rm', name);
      await expect(vms.row(name)).toHaveCount(0, { timeout: 5_000 });
    } finally {
      await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
    }
  });

  test('a capsule killed with -9 outside the app shows crashed within a second', async ({ app }) => {
    test.skip(process.getuid?.() !== 0, 'needs root');
    test.setTimeout(120_000);
    const name = `e2e-k9-${tag}`;
    const image = `localhost/e2e-live-${tag}:1`;
    const dir = mkdtempSync(join(tmpdir(), 'nova-e2e-live-'));
    try {
      await rpc('image.import', { source: busyboxRootfs(dir), name: image });
      await rpc('capsule.create', { name, spec: { capsule: image, command: ['sleep', '1000'] } });
      const capsules = await new InstancesPage(app, 'capsule').open();
      await expect(capsules.badge(name)).toHaveText('created');
      await novaCli('start', 'container', name);
      await expect(capsules.badge(name)).toHaveText('running', { timeout: LIVE_MS });
      const { pid } = await rpc<{ pid: number }>('capsule.inspect', { name });
      process.kill(pid, 'SIGKILL');
      await expect(capsules.badge(name)).toHaveText('crashed', { timeout: LIVE_MS });
      await expect(capsules.row(name)).toContainText('killed by SIGKILL');
      await expect(capsules.button(name, 'Start')).toBeVisible();
      // The dashboard's recent activity has the same story, newest first.
      await openView(app, 'dashboard');
      const activity = app.getByTestId('recent-activity').getByRole('listitem').filter({ hasText: name });
      await expect(activity.first()).toContainText('crashed');
      await expect(activity.nth(1)).toContainText('running');
    } finally {
      await rpc('capsule.rm', { name, force: true }).catch(() => undefined);
      await rpc('image.rm', { ref: image, force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
