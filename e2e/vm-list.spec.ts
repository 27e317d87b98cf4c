import { randomBytes } from 'node:crypto';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, rpc, shot, test } from './fixtures';
import { InstancesPage } from './pages/instances';

// The VM list shows what a virt-manager user looks for first: the guest's IP address (here from
// its guest agent: user-mode NAT has no lease to read) and the CPU its QEMU uses, live.

const name = `e2e-ipcpu-${randomBytes(2).toString('hex')}`;

test.afterAll(async () => {
  await rpc('vm.delete', { name, disks: true }).catch(() => undefined);
});

test('a running VM shows its IP address and CPU %, a stopped one dashes', async ({ app }, testInfo) => {
  test.setTimeout(180_000);
  const guest = await ensureTestGuest();
  await rpc('vm.create', { name, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'user' } });
  const vms = await new InstancesPage(app, 'vm').open();
  await expect(vms.row(name).getByTestId('vm-ip')).toHaveText('—');
  await expect(vms.row(name).getByTestId('vm-cpu')).toHaveText('—');
  await expect(app.getByTestId('vm-table').locator('thead')).toContainText('IP');

  await rpc('vm.start', { name });
  await expect(vms.badge(name)).toHaveText('running', { timeout: 5_000 });
  // QEMU's CPU use arrives with the engine's next metrics sample (every 2 s).
  await expect(vms.row(name).getByTestId('vm-cpu')).toHaveText(/^\d+(\.\d)?%$/, { timeout: 15_000 });
  // The guest boots (TCG), takes slirp's DHCP address and its agent reports it; the list asks again every 15 s.
  await expect(vms.row(name).getByTestId('vm-ip')).toHaveText(/^10\.0\.2\.15( \+\d)?$/, { timeout: 120_000 });
  const r = await rpc<{ addresses: { ip: string; source: string; interface?: string }[] }>('vm.addresses', { name });
  expect(r.addresses).toContainEqual(expect.objectContaining({ ip: '10.0.2.15', source: 'guest-agent', interface: 'eth0' }));
  await shot(app, 'vm-list-ip-cpu', testInfo);

  await rpc('vm.stop', { name, force: true });
  await expect(vms.badge(name)).toHaveText('stopped', { timeout: 5_000 });
  await expect(vms.row(name).getByTestId('vm-ip')).toHaveText('—');
  await expect(vms.row(name).getByTestId('vm-cpu')).toHaveText('—');
});
