import { randomBytes } from 'node:crypto';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, openView, rpc, shot, test } from './fixtures';

// Topology on the real engine: a network (inside the run's namespace) and a stopped VM; dragging
// the VM onto the network attaches it through vm.nic.attach, which says the truth: a stopped VM
// gets the NIC at its next start (toast, dashed link "applies at next start", vm.inspect's nics);
// deleting the link detaches it (vm.nic.detach).

const tag = randomBytes(2).toString('hex');
const net = `topo${tag}`;
const vm = `topo-vm-${tag}`;
const live = `topo-live-${tag}`;
const octet = 100 + Math.floor(Math.random() * 100);

test.describe('topology (real backends)', () => {
  test.skip(!process.env.NOVA_E2E_NETNS, 'needs root (namespace-isolated engine)');

  test.beforeAll(async () => {
    const guest = await ensureTestGuest();
    await rpc('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.214.${octet}.1/24` } });
    await rpc('vm.create', { name: vm, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1 } });
  });
  test.afterAll(async () => {
    await rpc('vm.nic.detach', { name: vm, network: net }).catch(() => undefined);
    await rpc('vm.delete', { name: vm, disks: true }).catch(() => undefined);
    await rpc('vm.delete', { name: live, disks: true }).catch(() => undefined);
    await rpc('network.rm', { name: net }).catch(() => undefined);
  });

  test('a node per resource; drag a VM onto a network to attach, delete the link to detach', async ({ app }, testInfo) => {
    test.setTimeout(90_000);
    await openView(app, 'topology');
    const { items } = await rpc<{ items: { kind: string; name: string }[] }>('resource.list');
    for (const r of items) await expect(app.getByTestId(`topo-${r.kind}-${r.name}`)).toBeVisible();

    const source = app.locator(`.react-flow__node[data-id="vm:${vm}"] .react-flow__handle.source`);
    const target = app.locator(`.react-flow__node[data-id="network:${net}"] .react-flow__handle[data-handleid="attach"]`);
    const a = (await source.boundingBox())!;
    const b = (await target.boundingBox())!;
    await app.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await app.mouse.down();
    await app.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await app.mouse.up();
    await expect(app.getByTestId('toast').filter({ hasText: `${vm} attached to ${net}: applies at next start` })).toBeVisible({ timeout: 20_000 });
    const info = await rpc<{ attachments: { owner: { name: string }; carrier?: boolean }[] }>('network.inspect', { name: net });
    expect(info.attachments).toEqual([expect.objectContaining({ owner: { kind: 'vm', name: vm }, carrier: false })]);
    const v = await rpc<{ nics?: { network: string; state: string }[] }>('vm.inspect', { name: vm });
    expect(v.nics).toEqual([expect.objectContaining({ network: net, state: 'next-start' })]);
    const edge = app.locator(`.react-flow__edge[data-id="att:vm:${vm}->${net}"]`);
    await expect(edge).toHaveCount(1);
    await expect(edge).toHaveClass(/topo-edge-pending/);
    await expect(app.locator('.react-flow__edge-text').filter({ hasText: 'applies at next start' })).toBeVisible();
    await shot(app, 'topology-attached', testInfo);

    // Select the link and press Delete: asks first, then detaches.
    await edge.click({ force: true });
    await app.keyboard.press('Backspace');
    const dialog = app.getByTestId('confirm-dialog');
    await expect(dialog).toContainText(`Detach ${vm} from ${net}`);
    await dialog.getByRole('button', { name: 'Detach' }).click();
    await expect(app.getByTestId('toast').filter({ hasText: `${vm} detached from ${net}` })).toBeVisible({ timeout: 20_000 });
    await expect(edge).toHaveCount(0);
    const after = await rpc<{ attachments: { owner: { name: string } }[] }>('network.inspect', { name: net });
    expect(after.attachments.map((x) => x.owner.name)).not.toContain(vm);
    expect((await rpc<{ nics?: unknown[] }>('vm.inspect', { name: vm })).nics).toBeUndefined();
  });

  test('dragging a running VM onto a switch hot-plugs its NIC (no restart); vm.nic.detach unplugs it and the link goes', async ({ app }) => {
    test.setTimeout(300_000);
    const guest = await ensureTestGuest();
    await rpc('vm.create', { name: live, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} nova.noqga`, memory: '128Mi', cpu: 1, network: 'none' } });
    await rpc('vm.start', { name: live });
    // TCG on shared cores: wait for the guest itself, which must answer the unplug later.
    await expect.poll(async () => (await rpc<{ lines: string[] }>('vm.logs', { name: live })).lines.some((l) => l.includes('nova-guest: init ready')), { timeout: 180_000, intervals: [500] }).toBe(true);
    await openView(app, 'topology');
    const source = app.locator(`.react-flow__node[data-id="vm:${live}"] .react-flow__handle.source`);
    const target = app.locator(`.react-flow__node[data-id="network:${net}"] .react-flow__handle[data-handleid="attach"]`);
    await expect(source).toBeVisible();
    const a = (await source.boundingBox())!;
    const b = (await target.boundingBox())!;
    await app.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await app.mouse.down();
    await app.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await app.mouse.up();
    await expect(app.getByTestId('toast').filter({ hasText: `${live} attached to ${net}` }).filter({ hasText: 'Hot-plugged' })).toBeVisible({ timeout: 60_000 });
    const v = await rpc<{ state: string; pid: number; nics?: { network: string; state: string }[] }>('vm.inspect', { name: live });
    expect(v.nics).toEqual([expect.objectContaining({ network: net, state: 'attached' })]);
    const info = await rpc<{ attachments: { owner: { name: string }; carrier?: boolean }[] }>('network.inspect', { name: net });
    expect(info.attachments.find((x) => x.owner.name === live)).toMatchObject({ carrier: true });
    const edge = app.locator(`.react-flow__edge[data-id="att:vm:${live}->${net}"]`);
    await expect(edge).toHaveCount(1);
    await expect(edge).not.toHaveClass(/topo-edge-pending/);

    // The unplug (the first test detaches through the link itself): the guest lets go, the link goes.
    expect(await rpc<{ unplugged: boolean }>('vm.nic.detach', { name: live, network: net })).toMatchObject({ unplugged: true });
    await expect(edge).toHaveCount(0, { timeout: 20_000 });
    const after = await rpc<{ state: string; pid: number; nics?: unknown[] }>('vm.inspect', { name: live });
    expect([after.state, after.pid, after.nics]).toEqual(['running', v.pid, undefined]); // the same QEMU: never restarted
  });
});
