// Several NICs declared in a NovaFile, for real, as a desktop user: `nova privd` runs as root in a
// namespace this file makes, an ordinary user runs `nova up` on
//   nics = [{ network = "user" }, { network = SWITCH }, { network = "user", model = "e1000e" }]
// QEMU gets three NICs (nic0/nic1/nic2, each its own MAC and backend: user-mode NAT, a TAP on the
// switch, a second user-mode NAT as an e1000e), the TCG guest sees its virtio NICs as eth0/eth1
// and leases an address from the switch's dnsmasq on eth1. (The test guest's Debian cloud kernel
// has no e1000e driver: QEMU's query-pci proves that device, not the guest.)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { NetworkInfo } from '../../shared/contract/network.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { NetnsLab, inNs, sh, suffix } from '../../test/netns.js';
import { PrivdLab, errorOf, run, tearDownPrivdLab } from '../../test/privd.js';
import type { Run } from '../../test/privd.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { resolvePaths } from '../sys/paths.js';
import { queryPci } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

const NOVA = resolve(import.meta.dirname, '../../../bin/nova.mjs');

/** A 10.120.x.0/24 (this area's range) that no route on the host uses. */
function freeSubnet(): number {
  const routes = sh(['ip', '-j', 'route', 'show']);
  for (let i = 0; i < 50; i++) {
    const o = 1 + Math.floor(Math.random() * 250);
    if (!routes.includes(`10.120.${o}.`)) return o;
  }
  throw new Error('no free 10.120.x.0/24');
}

describeHost('several NICs declared in a NovaFile, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'ip', 'nft', 'dnsmasq', 'setpriv', 'useradd', 'busybox'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const ns = `ngu-${sfx}`;
  const net = `ngu${sfx}`;
  const o = freeSubnet();
  let p: PrivdLab;
  let a: TestUser;
  let novafile: string;

  const nova = async (args: string[], json = true): Promise<Run> => {
    const home = p.home(a);
    return run(['ip', 'netns', 'exec', ns, ...TestUsers.as(a), process.execPath, NOVA, ...(json ? ['--json'] : []), '-f', novafile, ...args], {
      PATH: process.env.PATH, HOME: home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1', NOVA_PRIVD_SOCKET: p.sock,
    });
  };
  const ok = async <T>(args: string[]): Promise<T> => {
    const r = await nova(args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const pci = async () => withQmp(layoutOf(resolvePaths({ NOVA_HOME: p.home(a) }), 'tg').qmp, queryPci);
  const serial = (v: VmInfo) => readFileSync(v.serialLog, 'utf8');
  const exec = async (cmd: string) => nova(['vm', 'exec', 'tg', '--timeout', '120', '--', 'sh', '-c', cmd], false);

  beforeAll(async () => {
    lab.add(ns);
    p = new PrivdLab(ns);
    const group = users.group(`ngug${sfx}`);
    a = users.add(`ngua${sfx}`, [group]);
    await p.start(['--group', `ngug${sfx}`]);
    const guest = await ensureTestGuest();
    novafile = join(p.home(a), 'NovaFile');
    writeFileSync(novafile, `project = "nics"

[network.${net}]
subnet = "10.120.${o}.1/24"
profile = "nat"

[vm.tg]
kernel = "${guest.kernel}"
initrd = "${guest.initrd}"
cmdline = "${TEST_GUEST_CMDLINE}"
memory = "160Mi"
cpu = 1
nics = [{ network = "user" }, { network = "${net}" }, { network = "user", model = "e1000e" }]
`);
    sh(['chown', `${a.uid}:${a.gid}`, novafile]);
    expect((await nova(['config', 'allow-root', dirname(guest.kernel)], false)).stderr).toBe('');
  }, 300_000);

  afterAll(() => tearDownPrivdLab(p, lab, users));

  it('nova up: three NICs with their own MAC, model and backend; the guest leases from the switch on its second NIC', async () => {
    const up = await nova(['up'], false);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    const vm = await ok<VmInfo>(['vm', 'inspect', 'tg']);
    expect(vm.state).toBe('running');
    expect(vm.nic).toEqual({ kind: 'user' });
    const [sw, e1000e] = vm.nics ?? [];
    expect(vm.nics).toEqual([
      { network: net, mac: expect.stringMatching(/^52:54:00:/), state: 'attached', declared: true, model: 'virtio-net-pci', ifname: expect.stringMatching(/^nvt/) },
      { network: 'user', mac: expect.stringMatching(/^52:54:00:/), state: 'attached', declared: true, model: 'e1000e' },
    ]);
    expect(new Set([vm.mac, sw!.mac, e1000e!.mac]).size).toBe(3);

    // What QEMU has: nic0 and nic1 virtio-net (1af4:1000, transitional on pcie.0), nic2 an Intel 82574L (8086:10d3).
    const devs = (await pci()).filter((d) => /^nic\d$/.test(d.qdev_id)).map((d) => `${d.qdev_id} ${d.id?.vendor.toString(16)}:${d.id?.device.toString(16)}`);
    expect(devs.sort()).toEqual(['nic0 1af4:1000', 'nic1 1af4:1000', 'nic2 8086:10d3']);
    // The switch's TAP is held by this QEMU (carrier), attached to the VM.
    const info = await ok<NetworkInfo>(['net', 'inspect', net]);
    expect(info.attachments).toEqual([expect.objectContaining({ owner: { kind: 'vm', name: 'tg' }, ifname: sw!.ifname, mac: sw!.mac, carrier: true })]);

    // The guest: eth0 on user-mode NAT (its own DHCP at boot), eth1 with the switch NIC's MAC.
    await waitFor('eth0 leased from user-mode NAT', () => /nova-net: eth0 10\.0\.2\.15\//.test(serial(vm)), 180_000, 250);
    const macs = await exec('cat /sys/class/net/eth0/address /sys/class/net/eth1/address');
    expect(macs.stdout.trim().split('\n')).toEqual([vm.mac, sw!.mac]);
    const dhcp = await exec('ip link set eth1 up && udhcpc -i eth1 -s /etc/udhcpc.sh -n -q -t 20 -T 2');
    expect(dhcp.code, `${dhcp.stdout}\n${dhcp.stderr}`).toBe(0);
    const lease = await waitFor('the lease on eth1', () => new RegExp(`nova-net: eth1 (10\\.120\\.${o}\\.\\d+)/`).exec(serial(vm))?.[1], 60_000, 250);
    expect(inNs(ns, ['busybox', 'ping', '-c', '1', '-W', '5', lease])).toMatch(/[^0-9]0% packet loss/);
    // The guest agent reports both NICs by MAC.
    const guest = await waitFor('guest NICs in inspect', async () => {
      const g = (await ok<VmInfo>(['vm', 'inspect', 'tg'])).guest;
      return g?.agent && g.interfaces?.some((n) => n.mac === sw!.mac && n.addresses.length) ? g : undefined;
    }, 60_000, 1000);
    expect(guest.agent && guest.interfaces?.map((n) => n.mac).sort()).toEqual([vm.mac, sw!.mac].sort());

    // A declared NIC's switch is not attached twice, nor detached behind the definition's back.
    const again = await nova(['vm', 'nic', 'attach', 'tg', net]);
    expect(again.code).not.toBe(0);
    expect(errorOf(again)).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('a NIC of its definition') });

    const down = await nova(['down'], false);
    expect(down.code, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(sh(['ip', '-n', ns, '-o', 'link', 'show'])).not.toContain(sw!.ifname!);
  }, 600_000);
});
