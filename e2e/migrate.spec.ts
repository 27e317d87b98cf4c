// Moving a running VM to another Nova host from its detail view (#22): host B is a network
// namespace with its own sshd and `nova serve --socket` (src/test/ssh-lab.ts), the app's engine is
// this machine's, run by an unprivileged user. A slow move (2 MiB/s) started by the engine shows
// its progress (task.progress) in the VM's detail view and is cancelled there: the VM keeps
// running here, B has nothing. Then "Move live" moves it: the app goes back to the list, B runs it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { SshLab } from '../src/test/ssh-lab';
import type { LabHost } from '../src/test/ssh-lab';
import { expect, test } from './fixtures';
import { InstancesPage } from './pages/instances';

let lab: SshLab;
let b: LabHost;
let app: Awaited<ReturnType<SshLab['serveLocal']>>;

test.skip(process.getuid?.() !== 0, 'needs root (namespaces, sshd, test users)');

test.beforeAll(async () => {
  test.setTimeout(240_000);
  lab = new SshLab({ prefix: 'nhst', net: 115 });
  lab.setup();
  b = await lab.addHost('b');
  app = await lab.serveLocal();
  await app.call('host.add', { name: 'b', url: b.url, fingerprint: lab.fingerprint(b) });
  const g = await ensureTestGuest();
  const bootA = join(lab.localHome, 'boot');
  const poolB = join(b.novaHome, 'data', 'storage');
  for (const d of [bootA, poolB]) mkdirSync(d, { recursive: true });
  for (const f of [g.kernel, g.initrd]) for (const d of [bootA, poolB]) copyFileSync(f, join(d, f.split('/').pop()!));
  execFileSync('chown', ['-R', `${lab.local.uid}:${lab.local.gid}`, bootA]);
  execFileSync('chown', ['-R', `${lab.remote.uid}:${lab.remote.gid}`, join(b.novaHome, 'data')]);
  const disk = join(lab.localHome, 'mv.qcow2');
  await app.call('vm.create', { name: 'mv', spec: { kernel: join(bootA, 'vmlinuz'), initrd: join(bootA, 'initrd.gz'), cmdline: TEST_GUEST_CMDLINE, memory: '256Mi', cpu: 1, network: 'none', disks: [{ path: disk, size: '64Mi' }] } });
  execFileSync('qemu-io', ['-f', 'qcow2', '-c', 'write -P 0xab 0 16M', disk], { stdio: 'ignore' });
  execFileSync('chown', [`${lab.local.uid}:${lab.local.gid}`, disk]);
  await app.call('vm.start', { name: 'mv' });
});
test.afterAll(() => lab?.cleanup());

test('a VM\'s move to another host shows its progress in the detail view, is cancelled there, then moves live', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto(`${app.url}/#token=${app.token}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
  const vms = await new InstancesPage(page, 'vm').open();
  await vms.openDetail('mv');
  await expect(vms.detailState).toHaveText('running', { timeout: 60_000 });
  await expect(page.getByTestId('migrate-to')).toHaveValue('b');

  // A slow move started elsewhere (another window, the CLI): its progress shows here, with Cancel.
  const slow = app.call('vm.migrate.host', { name: 'mv', to: 'b', bandwidth: '2M' }).then(() => 'moved', (e: Error) => e.message);
  await expect(page.getByTestId('migrate-message')).toContainText(/disks .* of 64/, { timeout: 60_000 });
  await page.getByTestId('migrate-cancel').click();
  expect(await slow).toMatch(/cancel/i);
  await expect(page.getByTestId('migrate-progress')).toHaveCount(0, { timeout: 10_000 });
  await expect(vms.detailState).toHaveText('running');
  const onB = async () => ((await app.call('host.call', { host: 'b', method: 'vm.list', input: {} })) as { value: { items: { name: string; state: string }[] } }).value.items;
  expect(await onB()).toEqual([]);

  // Moved from the view: it runs on B, the app says so and goes back to the list, where it is gone.
  await page.getByTestId('migrate-start').click();
  await expect.poll(async () => (await onB()).map((v) => [v.name, v.state]), { timeout: 120_000 }).toEqual([['mv', 'running']]);
  await expect(page.getByText('mv moved to b')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('new-vm')).toBeVisible();
  await expect(vms.row('mv')).toHaveCount(0, { timeout: 10_000 });
  expect(existsSync(join(lab.localHome, 'mv.qcow2'))).toBe(false);
});
