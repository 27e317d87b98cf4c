import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxRootfs } from '../src/test/capsule-fixtures';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../src/test/guest';
import { expect, rpc, shot, test } from './fixtures';
import { NetworksPage } from './pages/networks';
import { TopologyPage } from './pages/topology';

// Topology on the real engine: a network (inside the run's namespace), VMs and a capsule. A running
// VM dragged onto it gets a hot-plugged NIC and a DHCP lease; a running capsule gets a veth in its
// own namespace. Dragging a stopped VM attaches it through vm.nic.attach, which says the truth: a stopped VM
// gets the NIC at its next start (toast, dashed link "applies at next start", vm.inspect's nics);
// deleting the link detaches it (vm.nic.detach).

const tag = randomBytes(2).toString('hex');
const net = `topo${tag}`;
const vm = `topo-vm-${tag}`;
const live = `topo-live-${tag}`;
const cap = `topo-cap-${tag}`;
const image = `localhost/e2e-topo-${tag}:1`;
const octet = 100 + Math.floor(Math.random() * 100);
let dir = '';

test.describe('topology (real backends)', () => {
  test.skip(!process.env.NOVA_E2E_NETNS, 'needs root (namespace-isolated engine)');

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nova-e2e-topo-'));
    const guest = await ensureTestGuest();
    await rpc('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.214.${octet}.1/24` } });
    await rpc('vm.create', { name: vm, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1 } });
  });
  test.afterAll(async () => {
    await rpc('vm.nic.detach', { name: vm, network: net }).catch(() => undefined);
    await rpc('vm.delete', { name: vm, disks: true }).catch(() => undefined);
    await rpc('vm.delete', { name: live, disks: true }).catch(() => undefined);
    await rpc('capsule.rm', { name: cap, force: true }).catch(() => undefined);
    await rpc('image.rm', { ref: image, force: true }).catch(() => undefined);
    await rpc('network.rm', { name: net, force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  test('a node per resource; drag a VM onto a network to attach, delete the link to detach', async ({ app }, testInfo) => {
    test.setTimeout(90_000);
    const topo = await new TopologyPage(app).open();
    const { items } = await rpc<{ items: { kind: 'vm' | 'capsule' | 'network'; name: string }[] }>('resource.list');
    for (const r of items) await expect(topo.node(r.kind, r.name)).toBeVisible();

    await topo.drag('vm', vm, net);
    await expect(topo.feedback.toast(`${vm} attached to ${net}: applies at next start`)).toBeVisible({ timeout: 20_000 });
    const info = await rpc<{ attachments: { owner: { name: string }; carrier?: boolean }[] }>('network.inspect', { name: net });
    expect(info.attachments).toEqual([expect.objectContaining({ owner: { kind: 'vm', name: vm }, carrier: false })]);
    const v = await rpc<{ nics?: { network: string; state: string }[] }>('vm.inspect', { name: vm });
    expect(v.nics).toEqual([expect.objectContaining({ network: net, state: 'next-start' })]);
    const edge = topo.link('vm', vm, net);
    await expect(edge).toHaveCount(1);
    await expect(edge).toHaveClass(/topo-edge-pending/);
    await expect(app.locator('.react-flow__edge-text').filter({ hasText: 'applies at next start' })).toBeVisible();
    await shot(app, 'topology-attached', testInfo);

    // Select the link and press Delete: asks first, then detaches.
    const dialog = await topo.askDetach(edge);
    await expect(dialog).toContainText(`Detach ${vm} from ${net}`);
    await topo.feedback.confirm('Detach');
    await expect(topo.feedback.toast(`${vm} detached from ${net}`)).toBeVisible({ timeout: 20_000 });
    await expect(edge).toHaveCount(0);
    const after = await rpc<{ attachments: { owner: { name: string } }[] }>('network.inspect', { name: net });
    expect(after.attachments.map((x) => x.owner.name)).not.toContain(vm);
    expect((await rpc<{ nics?: unknown[] }>('vm.inspect', { name: vm })).nics).toBeUndefined();
  });

  test('dragging a running VM onto a switch hot-plugs its NIC (no restart), the guest leases an address through DHCP; vm.nic.detach unplugs it', async ({ app }, testInfo) => {
    test.setTimeout(360_000);
    const guest = await ensureTestGuest();
    await rpc('vm.create', { name: live, spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none' } });
    await rpc('vm.start', { name: live });
    // TCG on shared cores: wait for the guest's agent, which runs the DHCP client and answers the unplug.
    const logs = async () => (await rpc<{ lines: string[] }>('vm.logs', { name: live })).lines.join('\n');
    await expect.poll(async () => /nova-guest: qemu-ga on/.test(await logs()), { timeout: 240_000, intervals: [1000] }).toBe(true);
    const topo = await new TopologyPage(app).open();
    await topo.drag('vm', live, net);
    await expect(topo.feedback.toast(`${live} attached to ${net}`).filter({ hasText: 'Hot-plugged' })).toBeVisible({ timeout: 60_000 });
    const v = await rpc<{ state: string; pid: number; nics?: { network: string; state: string; mac: string }[] }>('vm.inspect', { name: live });
    expect(v.nics).toEqual([expect.objectContaining({ network: net, state: 'attached' })]);
    const mac = v.nics![0]!.mac;
    const info = await rpc<{ attachments: { owner: { name: string }; carrier?: boolean }[] }>('network.inspect', { name: net });
    expect(info.attachments.find((x) => x.owner.name === live)).toMatchObject({ carrier: true });
    const edge = topo.link('vm', live, net);
    await expect(edge).toHaveCount(1);
    await expect(edge).not.toHaveClass(/topo-edge-pending/);

    // The guest sees the new NIC; this busybox guest runs no DHCP client for a hot-plugged one (a
    // distribution's network manager would), so its agent starts udhcpc, which leases from the switch.
    const exec = (command: string[], timeoutMs = 30_000) => rpc<{ exitCode: number; stdout: string; stderr: string }>('vm.exec', { name: live, command, timeoutMs });
    await expect.poll(async () => (await exec(['cat', '/sys/class/net/eth0/address']).catch(() => ({ stdout: '' }))).stdout.trim(), { timeout: 60_000, intervals: [1000] }).toBe(mac);
    const dhcp = await exec(['sh', '-c', 'ip link set eth0 up && udhcpc -i eth0 -s /etc/udhcpc.sh -n -q -t 20 -T 2'], 120_000);
    expect(dhcp.exitCode, `${dhcp.stdout}\n${dhcp.stderr}`).toBe(0);
    const leased = async () => /nova-net: eth0 (10\.214\.\d+\.\d+)\//.exec(await logs())?.[1] ?? '';
    await expect.poll(leased, { timeout: 60_000 }).not.toBe('');
    const lease = await leased();
    expect(lease.startsWith(`10.214.${octet}.`)).toBe(true);
    const leases = await rpc<{ items: { mac: string; ip: string }[] }>('network.leases', { name: net });
    expect(leases.items).toEqual(expect.arrayContaining([expect.objectContaining({ mac, ip: lease })]));
    // The switch's page shows the lease too.
    const nets = await new NetworksPage(app).open();
    await nets.openDetail(net);
    await expect(app.getByTestId('network-leases')).toContainText(lease, { timeout: 20_000 });
    await shot(app, 'topology-hotplug-lease', testInfo);

    // The unplug (the first test detaches through the link itself): the guest lets go, the link goes.
    expect(await rpc<{ unplugged: boolean }>('vm.nic.detach', { name: live, network: net })).toMatchObject({ unplugged: true });
    await topo.open();
    await expect(edge).toHaveCount(0, { timeout: 20_000 });
    const after = await rpc<{ state: string; pid: number; nics?: unknown[] }>('vm.inspect', { name: live });
    expect([after.state, after.pid, after.nics]).toEqual(['running', v.pid, undefined]); // the same QEMU: never restarted
  });

  test('dragging a running capsule onto a switch plugs a veth into its own namespace; deleting the link takes it out', async ({ app }, testInfo) => {
    test.setTimeout(120_000);
    await rpc('image.import', { source: busyboxRootfs(dir), name: image });
    await rpc('capsule.create', { name: cap, spec: { capsule: image, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'] } });
    const started = await rpc<{ state: string; pid: number }>('capsule.start', { name: cap });
    expect(started.state).toBe('running');
    const inCapsule = async (command: string[]) => (await rpc<{ exitCode: number; stdout: string }>('capsule.exec', { name: cap, command })).stdout;
    expect(await inCapsule(['ls', '/sys/class/net'])).not.toMatch(/\beth0\b/); // loopback only so far

    const topo = await new TopologyPage(app).open();
    await topo.drag('capsule', cap, net);
    await expect(topo.feedback.toast(`${cap} attached to ${net}`).filter({ hasText: 'Plugged into the capsule as eth0' })).toBeVisible({ timeout: 30_000 });
    const info = await rpc<{ attachments: { owner: { kind: string; name: string }; ip?: string; carrier?: boolean; netns?: string }[] }>('network.inspect', { name: net });
    const att = info.attachments.find((x) => x.owner.kind === 'capsule' && x.owner.name === cap);
    expect(att).toMatchObject({ carrier: true, netns: `/proc/${started.pid}/ns/net`, ip: expect.stringMatching(new RegExp(`^10\\.214\\.${octet}\\.`)) });
    // Inside the capsule's own namespace: eth0 with the switch's address for it.
    expect(await inCapsule(['ip', '-o', '-4', 'addr', 'show', 'eth0'])).toContain(`${att!.ip}/24`);
    const edge = topo.link('capsule', cap, net);
    await expect(edge).toHaveCount(1);
    await expect(edge).not.toHaveClass(/topo-edge-pending/);
    await shot(app, 'topology-capsule-attached', testInfo);

    const dialog = await topo.askDetach(edge);
    await expect(dialog).toContainText(`Detach ${cap} from ${net}`);
    await topo.feedback.confirm('Detach');
    await expect(topo.feedback.toast(`${cap} detached from ${net}`)).toBeVisible({ timeout: 20_000 });
    await expect(edge).toHaveCount(0);
    expect(await inCapsule(['ls', '/sys/class/net'])).not.toMatch(/\beth0\b/);
    expect((await rpc<{ state: string; pid: number }>('capsule.inspect', { name: cap }))).toMatchObject({ state: 'running', pid: started.pid }); // kept running
  });
});
