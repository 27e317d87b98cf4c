// A desktop user's networks through `nova privd`, for real: the helper runs as root inside a
// network namespace this file makes (its own socket and state folders), the `nova` CLI runs as
// ordinary users created here (setpriv). polkit is not running, so the helper's --group fallback
// decides who may do what.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { NetnsLab, freeOctets, sh, suffix } from '../../test/netns.js';
import { errorOf, PrivdLab, processes, tearDownPrivdLab } from '../../test/privd.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';

describeHost('nova privd: switches and TAPs for ordinary users', { root: true, tools: ['ip', 'nft', 'dnsmasq', 'setpriv', 'useradd', 'qemu-system-x86_64', 'cc'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const ns = `nvpd-${sfx}`;
  const [o1, o2, o3] = freeOctets(3);
  const net = `p${sfx}`;
  let p: PrivdLab;
  let a: TestUser;
  let b: TestUser;
  let c: TestUser;
  const nova = (u: TestUser, args: string[]) => p.nova(u, args);
  const raw = (u: TestUser, req: unknown) => p.raw(u, req);
  const startHelper = () => p.start(['--group', `nvpg${sfx}`]);
  const links = () => sh(['ip', '-n', ns, '-j', 'link', 'show']);
  let lease = '';

  beforeAll(async () => {
    lab.add(ns);
    p = new PrivdLab(ns);
    const group = users.group(`nvpg${sfx}`);
    a = users.add(`nvpa${sfx}`, [group]);
    b = users.add(`nvpb${sfx}`, [group]);
    c = users.add(`nvpc${sfx}`);
    // A host route the helper must refuse to shadow.
    sh(['ip', '-n', ns, 'link', 'add', `dum${sfx}`, 'type', 'veth', 'peer', 'name', `dup${sfx}`]);
    sh(['ip', '-n', ns, 'addr', 'add', `10.213.${o2}.1/24`, 'dev', `dum${sfx}`]);
    sh(['ip', '-n', ns, 'link', 'set', `dum${sfx}`, 'up']);
    // Links a user's switch must not take as uplink: a port of another bridge; and a free one it may.
    // (macvlans on a veth stand in for host NICs: no dummy module can be loaded here.)
    sh(['ip', '-n', ns, 'link', 'add', `vq${sfx}`, 'type', 'veth', 'peer', 'name', `vr${sfx}`]);
    sh(['ip', '-n', ns, 'link', 'add', `bq${sfx}`, 'type', 'bridge']);
    sh(['ip', '-n', ns, 'link', 'add', `dy${sfx}`, 'link', `vq${sfx}`, 'type', 'macvlan']);
    sh(['ip', '-n', ns, 'link', 'set', `dy${sfx}`, 'master', `bq${sfx}`]);
    sh(['ip', '-n', ns, 'link', 'add', `dz${sfx}`, 'link', `vq${sfx}`, 'type', 'macvlan']);
    await startHelper();
  }, 120_000);

  afterAll(async () => {
    // Root's helper keeps the switch's dnsmasq folder under /run/nova: remove the switch through Nova first.
    if (p?.helper && a) await nova(a, ['net', 'rm', net, '--force']).catch(() => undefined);
    tearDownPrivdLab(p, lab, users);
  });

  it('an ordinary user creates a NAT switch (dnsmasq not root, definition in their data folder); their own QEMU on it gets a DHCP lease', async () => {
    const made = await nova(a, ['net', 'create', net, '--profile', 'nat', '--subnet', `10.213.${o1}.1/24`]);
    expect(made.stderr).toBe('');
    expect(JSON.parse(made.stdout)).toMatchObject({ name: net, state: 'Active', subnet: `10.213.${o1}.1/24` });
    const def = join(p.dir, a.name, 'data', 'networks', `${net}.json`);
    expect(statSync(def).uid).toBe(a.uid);
    expect(p.log).toContain(`privd: uid=${a.uid} `);
    const dns = processes(`--interface=${net} `).filter((p) => p.cmd.startsWith('dnsmasq'));
    expect(dns).toHaveLength(1);
    expect(dns[0]!.uid).not.toBe(0);

    const guest = await ensureTestGuest();
    // The guest's cache folder is outside the user's home: they allow it as any user would.
    expect((await nova(a, ['config', 'allow-root', dirname(guest.kernel)])).stderr).toBe('');
    const created = await nova(a, ['vm', 'create', 'tg', '--kernel', guest.kernel, '--initrd', guest.initrd, '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--cpu', '1', '--network', net]);
    expect(created.stderr).toBe('');
    const started = await nova(a, ['vm', 'start', 'tg']);
    expect(started.stderr).toBe('');
    const vm = JSON.parse(started.stdout) as { state: string; serialLog: string; nic: { kind: string; ifname: string } };
    expect([vm.state, vm.nic.kind]).toEqual(['running', 'tap']);
    const qemu = processes(vm.serialLog).filter((p) => p.cmd.startsWith('qemu-system'));
    expect(qemu.map((p) => p.uid)).toEqual([a.uid]);
    lease = await waitFor('DHCP lease in the guest', () => /nova-net: eth0 (10\.213\.\d+\.\d+)\//.exec(readFileSync(vm.serialLog, 'utf8'))?.[1], 90_000, 250);
    expect(lease.startsWith(`10.213.${o1}.`)).toBe(true);
  }, 240_000);

  it('another user may not delete or change it; a user outside the group is refused by the helper naming the polkit action', async () => {
    const rm = await nova(b, ['net', 'rm', net]);
    expect(errorOf(rm)).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining(`network "${net}" belongs to uid ${a.uid}`) });
    const upd = await raw(b, { verb: 'switch.update', input: { name: net, spec: { profile: 'nat', subnet: `10.213.${o1}.1/24`, dns: false } } });
    expect(upd.error).toMatchObject({ code: 'PERMISSION' });
    const denied = await nova(c, ['net', 'create', `q${sfx}`, '--profile', 'nat', '--subnet', `10.213.${o3}.1/24`]);
    expect(errorOf(denied)).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('org.nova.manage-networks'), details: { action: 'org.nova.manage-networks' } });
    expect(errorOf(denied).message).not.toContain('sudo');
    const info = JSON.parse((await nova(a, ['net', 'inspect', net])).stdout) as { state: string; spec: { dns: boolean } };
    expect([info.state, info.spec.dns]).toEqual(['Active', true]);
    expect(links()).not.toContain(`"ifname":"q${sfx}"`);
  }, 120_000);

  it('a packet capture runs tcpdump as the user, into their own captures folder', async () => {
    const started = await nova(a, ['net', 'capture', 'start', net, '--filter', 'icmp']);
    expect(started.stderr).toBe('');
    const cap = JSON.parse(started.stdout) as { id: string; file: string; running: boolean };
    expect(cap.file.startsWith(join(p.dir, a.name, 'data', 'captures'))).toBe(true);
    expect(cap.running).toBe(true);
    expect(processes(cap.file).filter((x) => x.cmd.startsWith('tcpdump')).map((x) => x.uid)).toEqual([a.uid]);
    sh(['ip', 'netns', 'exec', ns, 'busybox', 'ping', '-c', '2', '-W', '3', lease]);
    const stopped = await nova(a, ['net', 'capture', 'stop', cap.id]);
    expect(stopped.stderr).toBe('');
    const info = JSON.parse(stopped.stdout) as { running: boolean; packets: number };
    expect(info.running).toBe(false);
    expect(info.packets).toBeGreaterThanOrEqual(2);
    expect(statSync(cap.file).uid).toBe(a.uid);
    // Someone else's capture can be neither stopped nor pointed at their folder.
    expect((await raw(b, { verb: 'capture.stop', input: { id: cap.id, dir: join(p.dir, b.name) } })).error).toMatchObject({ code: 'PERMISSION' });
  }, 120_000);

  it('refuses hostile inputs in the helper itself, changing nothing', async () => {
    const before = links();
    // A process of b's own that never left the host's network namespace (the lab's stands in for
    // it): the veth (and the address and default route set inside) would land on the host itself.
    const hostSide = spawn('ip', ['netns', 'exec', ns, ...TestUsers.as(b), 'sleep', '60'], { stdio: 'ignore' });
    await waitFor('b\'s sleep', () => processes('sleep 60').some((x) => x.pid === hostSide.pid && x.uid === b.uid), 5000);
    const spec = (s: string) => ({ profile: 'nat', subnet: s });
    const cases: [unknown, string, RegExp][] = [
      [{ verb: 'switch.create', input: { name: 'x;reboot', spec: spec(`10.213.${o3}.1/24`) } }, 'INVALID_INPUT', /invalid name/],
      [{ verb: 'switch.create', input: { name: '../etc', spec: spec(`10.213.${o3}.1/24`) } }, 'INVALID_INPUT', /invalid name/],
      [{ verb: 'switch.create', input: { name: 'abcdefghijklmnop', spec: spec(`10.213.${o3}.1/24`) } }, 'INVALID_INPUT', /invalid name/],
      [{ verb: 'switch.create', input: { name: `r${sfx}`, spec: spec(`10.213.${o2}.1/24`) } }, 'INVALID_INPUT', /overlaps the host route/],
      [{ verb: 'switch.create', input: { name: `u${sfx}`, spec: { profile: 'external', uplink: net } } }, 'PERMISSION', /uplink "p\w+" is a bridge/],
      [{ verb: 'switch.create', input: { name: `u${sfx}`, spec: { profile: 'isolated', interfaces: [`dup${sfx}`] } } }, 'PERMISSION', /interfaces "dup\w+" is a veth/],
      [{ verb: 'switch.create', input: { name: `u${sfx}`, spec: { profile: 'external', uplink: `dy${sfx}` } } }, 'PERMISSION', /already a port of "bq\w+"/],
      [{ verb: 'attach.tap', input: { network: net, owner: { kind: 'vm', name: 'tg' } } }, 'PERMISSION', /another user's attachment/],
      [{ verb: 'detach', input: { network: net, owner: { kind: 'vm', name: 'tg' } } }, 'PERMISSION', /belongs to uid/],
      [{ verb: 'attach.veth', input: { network: net, owner: { kind: 'capsule', name: 'x' }, pid: p.helper!.pid } }, 'PERMISSION', /not yours/],
      [{ verb: 'attach.veth', input: { network: net, owner: { kind: 'capsule', name: 'x' }, pid: hostSide.pid } }, 'PERMISSION', /netns: \/proc\/\d+\/ns\/net is the host's own network namespace/],
      [{ verb: 'exec', input: { argv: ['sh', '-c', 'id'] } }, 'INVALID_INPUT', /unknown request/],
      [{ verb: 'capture.start', input: { network: net, dir: join(p.dir, a.name) } }, 'PERMISSION', /is not yours/],
      [{ verb: 'capture.start', input: { network: net, dir: `${p.dir}/../etc` } }, 'INVALID_INPUT', /invalid dir/],
      [{ verb: 'capture.start', input: { network: net, dir: '/tmp', filter: 'icmp', extra: '-w /etc/shadow' } }, 'INVALID_INPUT', /invalid/],
    ];
    try {
      for (const [req, code, msg] of cases) {
        const r = await raw(b, req);
        expect(r.ok, JSON.stringify(req)).toBe(false);
        expect(r.error, `${JSON.stringify(req)} → ${JSON.stringify(r.error)}`).toMatchObject({ code, message: expect.stringMatching(msg) });
      }
    } finally {
      hostSide.kill('SIGKILL');
    }
    expect(links()).toBe(before);
    // A free host interface is the user's to enslave (polkit's manage-networks allowed it).
    const free = await raw(b, { verb: 'switch.create', input: { name: `u${sfx}`, spec: { profile: 'external', uplink: `dz${sfx}` } } });
    expect(free, JSON.stringify(free)).toMatchObject({ ok: true });
    expect(sh(['ip', '-n', ns, '-j', 'link', 'show', `dz${sfx}`])).toContain(`"master":"u${sfx}"`);
    expect(await raw(b, { verb: 'switch.delete', input: { name: `u${sfx}` } })).toMatchObject({ ok: true });
  }, 120_000);

  it('kill -9 of the helper during a switch create, then a restart, leaves nothing half-made', async () => {
    const name = `k${sfx}`;
    const monitor = spawn('ip', ['-n', ns, 'monitor', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let killed = false;
    monitor.stdout.on('data', (d: Buffer) => {
      if (!killed && d.toString().includes(`${name}:`)) {
        killed = true;
        p.stop();
      }
    });
    try {
      const r = await nova(a, ['net', 'create', name, '--profile', 'nat', '--subnet', `10.213.${o3}.1/24`]);
      expect(killed).toBe(true);
      expect(errorOf(r).message).toMatch(/closed the connection without an answer/);
    } finally {
      monitor.kill();
    }
    await startHelper();
    // Converged either way: the switch whole (state, bridge, rules, dnsmasq) or no trace of it.
    const state = existsSync(join(p.dir, 'root', 'data', 'networks', `${name}.json`));
    const dnsmasq = processes(`--interface=${name} `).filter((p) => p.cmd.startsWith('dnsmasq'));
    const rules = sh(['ip', 'netns', 'exec', ns, 'nft', 'list', 'ruleset']);
    if (state) {
      expect(JSON.parse((await nova(a, ['net', 'inspect', name])).stdout)).toMatchObject({ state: 'Active' });
      expect(dnsmasq).toHaveLength(1);
    } else {
      expect(links()).not.toContain(`"ifname":"${name}"`);
      expect(dnsmasq).toHaveLength(0);
      expect(rules).not.toContain(name);
    }
    expect(links()).toContain(`"ifname":"${net}"`);
  }, 180_000);
});
