// The app shows every host: two remote Nova hosts (network namespaces with their own sshd and
// `nova serve --socket`, run by an unprivileged user) added to the app's engine; the "All hosts"
// view labels each item with its host, shows a host that drops off the network as unreachable
// without holding up the others, and shows it again once it is back.
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { SshLab } from '../src/test/ssh-lab';
import type { LabHost } from '../src/test/ssh-lab';

let lab: SshLab;
let b: LabHost;
let c: LabHost;
let app: Awaited<ReturnType<SshLab['serveLocal']>>;

test.skip(process.getuid?.() !== 0, 'needs root (namespaces, sshd, test users)');

test.beforeAll(async () => {
  test.setTimeout(180_000);
  lab = new SshLab();
  lab.setup();
  b = await lab.addHost('b');
  c = await lab.addHost('c');
  app = await lab.serveLocal();
  for (const h of [b, c]) await app.call('host.add', { name: h.name, url: h.url, fingerprint: lab.fingerprint(h) });
  // A VM defined on each remote host (not started: a kernel file it would boot is enough).
  for (const [h, vm] of [[b, 'web-b'], [c, 'db-c']] as const) {
    const kernel = join(h.novaHome, 'vmlinuz');
    writeFileSync(kernel, '');
    chownSync(kernel, lab.remote.uid, lab.remote.gid);
    await app.call('host.call', { host: h.name, method: 'vm.create', input: { name: vm, spec: { kernel, memory: '256Mi', cpu: 1 } } });
  }
});
test.afterAll(() => lab?.cleanup());

test('All hosts lists each host\'s VMs labelled by host; a host that drops shows unreachable and comes back', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 760 });
  await page.goto(`${app.url}/#token=${app.token}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
  await page.getByTestId('host-switcher').selectOption('all');
  await expect(page.getByTestId('view-hosts')).toBeVisible();
  await expect(page.getByTestId('host-local')).toHaveAttribute('data-status', 'reachable');
  const webB = page.getByTestId('item-b-vm-web-b');
  await expect(webB).toBeVisible({ timeout: 20_000 });
  await expect(webB.locator('td').first()).toHaveText('b');
  await expect(page.getByTestId('item-c-vm-db-c')).toBeVisible();

  // c drops off the network: its kept SSH connection dies (keep-alives), reconnecting times out,
  // c turns unreachable with the reason; b stays listed and the UI keeps answering meanwhile.
  lab.setLink(c, false);
  await expect(page.getByTestId('host-c')).toHaveAttribute('data-status', 'unreachable', { timeout: 30_000 });
  await expect(page.getByTestId('host-c-error')).toContainText(/reach|answer|closed|timed out|not connected/i);
  await expect(webB).toBeVisible();
  await page.getByTestId('nav-storage').click();
  await expect(page.getByTestId('view-storage')).toBeVisible({ timeout: 2_000 });
  await page.getByTestId('host-switcher').selectOption('all');
  await expect(page.getByTestId('host-b')).toHaveAttribute('data-status', 'reachable');
  await expect(page.getByTestId('host-switcher').locator('option', { hasText: 'c (unreachable)' })).toHaveCount(1);

  // c is back: it shows again by itself (the engine reconnects and pushes host.state; nothing polls).
  lab.setLink(c, true);
  await expect(page.getByTestId('host-c')).toHaveAttribute('data-status', 'reachable', { timeout: 30_000 });
  await expect(page.getByTestId('item-c-vm-db-c')).toBeVisible();
});

test('a remote host chosen in the switcher: the VMs and Networks views show its items, live from its events', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto(`${app.url}/#token=${app.token}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
  await page.getByTestId('nav-vms').click();
  await page.getByTestId('host-switcher').selectOption('b');
  await expect(page.getByTestId('view-remote-vm')).toBeVisible();
  await expect(page.getByTestId('remote-row-web-b')).toHaveAttribute('data-state', 'stopped', { timeout: 20_000 });
  await expect(page.getByTestId('remote-row-db-c')).toHaveCount(0);
  // Another client (the CLI, over its own SSH connection) defines a VM on b: it shows without a
  // refresh — b's event comes through the app's engine (host.event), no view polls.
  const kernel = join(b.novaHome, 'vmlinuz');
  const made = await lab.nova(['--host', 'b', 'vm', 'create', 'api-b', '--kernel', kernel, '--memory', '128Mi', '--network', 'none']);
  expect(made.code, made.stderr).toBe(0);
  await expect(page.getByTestId('remote-row-api-b')).toBeVisible({ timeout: 10_000 });
  // The host stays chosen for Networks; Storage goes back to this host.
  await page.getByTestId('nav-networks').click();
  await expect(page.getByTestId('view-remote-network')).toBeVisible();
  await expect(page.getByTestId('host-switcher')).toHaveValue('b');
  await page.getByTestId('nav-storage').click();
  await expect(page.getByTestId('view-storage')).toBeVisible();
  await expect(page.getByTestId('host-switcher')).toHaveValue('local');
});
