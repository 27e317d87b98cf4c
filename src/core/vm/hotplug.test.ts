// NIC hot-plug for real, as a desktop user would do it: `nova privd` runs as root in a network
// namespace this file makes, an ordinary user (setpriv) runs the `nova` CLI there, creates a NAT
// switch and a TCG VM with no network, then attaches the running VM to the switch: QEMU gets a
// TAP-backed virtio-net on a spare PCIe root port, the guest sees eth0 and leases an address from
// the switch's dnsmasq without a restart; detach unplugs it (gone from query-pci and the guest).
// A stopped VM's attachment is recorded, says "next start", and QEMU has it when it starts.
// Deleting the VM releases its attachments, so the switch can be removed without --force.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NetworkInfo } from '../../shared/contract/network.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { NetnsLab, freeOctets, inNs, sh, suffix } from '../../test/netns.js';
import { PrivdLab, run, tearDownPrivdLab } from '../../test/privd.js';
import type { Run } from '../../test/privd.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { resolvePaths } from '../sys/paths.js';
import { queryPci } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

const NOVA = resolve(import.meta.dirname, '../../../bin/nova.mjs');

describeHost('VM NIC hot-plug through nova privd, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'ip', 'nft', 'dnsmasq', 'setpriv', 'useradd', 'busybox', 'cc'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const ns = `nvhp-${sfx}`;
  const net = `h${sfx}`;
  const [o] = freeOctets(1);
  let p: PrivdLab;
  let a: TestUser;

  /** `nova ARGS` as the user inside the namespace (json unless the command passes its own args through). */
  const nova = async (args: string[], json = true): Promise<Run> => {
    const home = p.home(a);
    return run(['ip', 'netns', 'exec', ns, ...TestUsers.as(a), process.execPath, NOVA, ...(json ? ['--json'] : []), ...args], {
      PATH: process.env.PATH, HOME: home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1', NOVA_PRIVD_SOCKET: p.sock,
    });
  };
  const ok = async <T>(args: string[]): Promise<T> => {
    const r = await nova(args);
    expect(r.stderr, args.join(' ')).toBe('');
    expect(r.code, args.join(' ')).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const qmpPath = () => layoutOf(resolvePaths({ NOVA_HOME: p.home(a) }), 'tg').qmp;
  /** What QEMU itself says is plugged in (root may open the user's QMP socket between CLI calls). */
  const pciIds = async () => (await withQmp(qmpPath(), queryPci)).map((d) => d.qdev_id);
  const link = (ifname: string) => JSON.parse(sh(['ip', '-n', ns, '-j', 'link', 'show'])).find((l: { ifname: string }) => l.ifname === ifname) as { flags: string[] } | undefined;
  const serial = (v: VmInfo) => readFileSync(v.serialLog, 'utf8');

  beforeAll(async () => {
    lab.add(ns);
    p = new PrivdLab(ns);
    const group = users.group(`nvhg${sfx}`);
    a = users.add(`nvha${sfx}`, [group]);
    await p.start(['--group', `nvhg${sfx}`]);
  }, 120_000);

  afterAll(() => tearDownPrivdLab(p, lab, users));

  it('a running VM attached to a NAT switch gets the NIC live, leases an address without a restart, and loses it on detach', async () => {
    const made = await ok<NetworkInfo>(['net', 'create', net, '--profile', 'nat', '--subnet', `10.213.${o}.1/24`]);
    expect(made.state).toBe('Active');
    const guest = await ensureTestGuest();
    expect((await nova(['config', 'allow-root', dirname(guest.kernel)])).stderr).toBe('');
    await ok(['vm', 'create', 'tg', '--kernel', guest.kernel, '--initrd', guest.initrd, '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--cpu', '1', '--network', 'none']);
    const vm = await ok<VmInfo>(['vm', 'start', 'tg']);
    expect(vm.state).toBe('running');
    await waitFor('guest agent up in the guest', () => /nova-guest: qemu-ga on/.test(serial(vm)), 180_000, 250);
    expect(await pciIds()).toEqual(expect.arrayContaining(['hp0', 'hp1', 'hp2', 'hp3']));

    const att = await ok<{ state: string; ifname: string; mac: string; ip?: string }>(['vm', 'nic', 'attach', 'tg', net]);
    expect(att).toMatchObject({ state: 'attached', ifname: expect.stringMatching(/^nvt/) });
    expect(await pciIds()).toContain(`nic-${net}`);
    // The kernel says QEMU holds the TAP (carrier), and net inspect reports it.
    expect(link(att.ifname)?.flags).toContain('LOWER_UP');
    const info = await ok<NetworkInfo>(['net', 'inspect', net]);
    expect(info.attachments).toEqual([expect.objectContaining({ owner: { kind: 'vm', name: 'tg' }, ifname: att.ifname, carrier: true, operstate: 'UP' })]);
    expect((await ok<VmInfo>(['vm', 'inspect', 'tg'])).nics).toEqual([expect.objectContaining({ network: net, state: 'attached', mac: att.mac })]);

    // The guest sees a new eth0; a DHCP client there (this busybox guest runs none on its own for
    // hot-plugged NICs, so the guest agent starts one) leases from the switch's dnsmasq.
    await waitFor('eth0 in the guest', async () => (await nova(['vm', 'exec', 'tg', '--', 'cat', '/sys/class/net/eth0/address'], false)).stdout.trim() === att.mac, 60_000, 1000);
    const dhcp = await nova(['vm', 'exec', 'tg', '--timeout', '120', '--', 'sh', '-c', 'ip link set eth0 up && udhcpc -i eth0 -s /etc/udhcpc.sh -n -q -t 20 -T 2'], false);
    expect(dhcp.code, `${dhcp.stdout}\n${dhcp.stderr}`).toBe(0);
    const lease = await waitFor('the lease on the guest serial', () => new RegExp(`nova-net: eth0 (10\\.213\\.${o}\\.\\d+)/`).exec(serial(vm))?.[1], 60_000, 250);
    if (att.ip) expect(lease).toBe(att.ip); // the switch's reservation for this VM
    const leases = await ok<{ items: { mac: string; ip: string; static: boolean }[] }>(['net', 'leases', net]);
    expect(leases.items).toEqual(expect.arrayContaining([expect.objectContaining({ mac: att.mac, ip: lease })]));
    expect(inNs(ns, ['busybox', 'ping', '-c', '1', '-W', '5', lease])).toMatch(/[^0-9]0% packet loss/);
    expect((await ok<VmInfo>(['vm', 'inspect', 'tg'])).state).toBe('running'); // never restarted
    expect(serial(vm).match(/nova-guest: init ready/g)).toHaveLength(1);

    const det = await ok<{ unplugged: boolean }>(['vm', 'nic', 'detach', 'tg', net]);
    expect(det.unplugged).toBe(true);
    expect(await pciIds()).not.toContain(`nic-${net}`);
    expect(link(att.ifname)).toBeUndefined();
    const after = await nova(['vm', 'exec', 'tg', '--', 'ls', '/sys/class/net'], false);
    expect(after.stdout.split(/\s+/)).not.toContain('eth0');
    expect((await ok<VmInfo>(['vm', 'inspect', 'tg'])).nics).toBeUndefined();
    expect((await ok<NetworkInfo>(['net', 'inspect', net])).attachments).toEqual([]);
  }, 600_000);

  it('a stopped VM: the attachment is recorded as "next start" (TAP without carrier), QEMU has it after the start; delete releases it', async () => {
    await ok(['vm', 'stop', 'tg', '--force']);
    const att = await ok<{ state: string; reason?: string; mac: string }>(['vm', 'nic', 'attach', 'tg', net]);
    expect(att).toMatchObject({ state: 'next-start', reason: expect.stringContaining('next start') });
    expect((await ok<VmInfo>(['vm', 'inspect', 'tg'])).nics).toEqual([expect.objectContaining({ network: net, state: 'next-start' })]);
    const before = (await ok<NetworkInfo>(['net', 'inspect', net])).attachments;
    expect(before).toEqual([expect.objectContaining({ owner: { kind: 'vm', name: 'tg' }, carrier: false })]);

    const vm = await ok<VmInfo>(['vm', 'start', 'tg']);
    expect(vm.nics).toEqual([expect.objectContaining({ network: net, state: 'attached', mac: att.mac })]);
    // QEMU's own device list: query-pci finds a device behind a root port only once the guest's
    // firmware has numbered the port's bus, which a just-started TCG guest may not have done yet.
    const devices = await withQmp(qmpPath(), (q) => q.execute<{ name: string }[]>('qom-list', { path: '/machine/peripheral' }));
    expect(devices.map((d) => d.name)).toContain(`nic-${net}`);
    expect((await ok<NetworkInfo>(['net', 'inspect', net])).attachments).toEqual([expect.objectContaining({ carrier: true })]);

    await ok(['vm', 'delete', 'tg']);
    expect((await ok<NetworkInfo>(['net', 'inspect', net])).attachments).toEqual([]);
    expect((await nova(['net', 'rm', net])).stderr).toBe('');
  }, 600_000);
});
