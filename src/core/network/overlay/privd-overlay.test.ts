// Encrypted overlays the way a desktop user makes them: the `nova` CLI as an ordinary user on two
// "hosts" (network namespaces on a plain underlay), each with its own `nova privd` doing the root
// steps (polkit is not running: privd's --group fallback authorizes, as in privd.test). The user
// makes a wireguard and a quic overlay between the hosts; a user outside the group is refused.
// Then a real TCG VM on host A's quic overlay pings a capsule (a user network namespace the
// user's helper attached) on host B and resolves its name (dns = true) across the hosts.
import { execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../../test/guest.js';
import { describeHost } from '../../../test/host.js';
import { NetnsLab, sh, suffix } from '../../../test/netns.js';
import { errorOf, PrivdLab, processes, run } from '../../../test/privd.js';
import type { Run } from '../../../test/privd.js';
import { TestUsers } from '../../../test/users.js';
import type { TestUser } from '../../../test/users.js';
import { waitFor } from '../../../test/wait.js';

const NOVA = join(import.meta.dirname, '..', '..', '..', '..', 'bin', 'nova.mjs');
const TOOLS = ['ip', 'nft', 'dnsmasq', 'setpriv', 'useradd', 'unshare', 'wg', 'wireguard-go', 'openssl', 'busybox', 'qemu-system-x86_64', '/usr/bin/cargo'];

describeHost('encrypted overlays for an ordinary user through nova privd', { root: true, tools: TOOLS }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const users = new TestUsers();
  const o = 10 + 3 * Math.floor(Math.random() * 80); // 10.112.o underlay, o+1 wireguard, o+2 quic
  const ul = `novl-u-${sfx}`;
  const hostNs = [`novl-a-${sfx}`, `novl-b-${sfx}`] as const;
  const under = [`10.112.${o}.1`, `10.112.${o}.2`] as const;
  const wg = `w${sfx}`;
  const qc = `q${sfx}`;
  const labs: PrivdLab[] = [];
  let ok: TestUser;
  let no: TestUser;
  let capsule: ReturnType<typeof spawn> | undefined;

  const nova = (h: number, u: TestUser, args: string[]) => labs[h]!.nova(u, args);
  const json = <T>(r: Run): T => {
    if (r.code !== 0) throw new Error(`nova failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  /** `nova vm exec` as `ok` on host A: the guest command after `--` (p.nova would append --json to it). */
  const guestExec = (cmd: string) => {
    const p = labs[0]!;
    const home = p.home(ok);
    return run(['ip', 'netns', 'exec', p.ns, ...TestUsers.as(ok), process.execPath, NOVA, '--json', 'vm', 'exec', 'tg', '--', 'sh', '-c', cmd], {
      PATH: process.env.PATH, HOME: home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1', NOVA_PRIVD_SOCKET: p.sock,
    }).then((r) => (r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as { exitCode: number; stdout: string }) : { exitCode: -1, stdout: r.stderr }));
  };
  const pings = (ns: string, ip: string) => !sh(['ip', 'netns', 'exec', ns, 'busybox', 'ping', '-c', '1', '-W', '1', ip], { allowFailure: true }).startsWith('__FAILED__');

  /** Creates the overlay on both hosts as `ok`, then gives each the other's identity. */
  async function join2(name: string, driver: 'wireguard' | 'quic', port: number, octet: number): Promise<string[]> {
    const ids: string[] = [];
    for (const h of [0, 1]) {
      const made = json<{ state: string; overlay?: { identity?: string; driver: string } }>(await nova(h, ok, ['net', 'create', name, '--type', 'overlay', '--driver', driver, '--subnet', `10.112.${octet}.${h + 1}/24`, '--local', under[h]!, '--listen-port', String(port)]));
      expect(made.overlay?.driver).toBe(driver);
      ids.push(made.overlay!.identity!);
    }
    for (const h of [0, 1]) json(await nova(h, ok, ['net', 'update', name, '--peer', `${ids[1 - h]}@${under[1 - h]}:${port}`]));
    return ids;
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(dirname(NOVA), '..', 'scripts', 'build-native.mjs')], { stdio: 'ignore' }); // the quic tunnel
    lab.add(ul);
    sh(['ip', '-n', ul, 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', '-n', ul, 'link', 'set', 'br0', 'up']);
    for (const [i, ns] of hostNs.entries()) {
      lab.add(ns);
      lab.link(ns, 'ul0', `${under[i]}/24`, ul, `novl${i}${sfx}`, undefined);
      sh(['ip', '-n', ul, 'link', 'set', `novl${i}${sfx}`, 'master', 'br0']);
    }
    const group = users.group(`novlg${sfx}`);
    ok = users.add(`novla${sfx}`, [group]);
    no = users.add(`novln${sfx}`);
    for (const ns of hostNs) {
      const p = new PrivdLab(ns);
      labs.push(p);
      await p.start(['--group', group]);
    }
  }, 300_000);

  afterAll(async () => {
    capsule?.kill('SIGKILL');
    for (const p of labs) {
      if (!p.helper || !ok) continue;
      await p.nova(ok, ['vm', 'rm', 'tg']).catch(() => undefined);
      // `no` too: with the authorization broken (the check this file makes), its create went through.
      for (const u of [ok, no]) for (const n of [wg, qc]) await p.nova(u, ['net', 'rm', n, '--force']).catch(() => undefined);
    }
    // Tunnels a failed remove left: wireguard-go by its device (named from privd's instance), the quic tunnel by its --net marker.
    const devs = hostNs.flatMap((ns) => (JSON.parse(sh(['ip', '-n', ns, '-j', 'link', 'show'], { allowFailure: true }).replace(/^__FAILED__.*/s, '[]')) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith('nvw')));
    for (const p of labs) p.stop();
    lab.cleanup([...devs, `/${qc}`, ...labs.map((p) => p.dir)]);
    for (const d of devs) rmSync(`/var/run/wireguard/${d}.sock`, { force: true }); // a killed wireguard-go leaves its socket
    users.cleanup();
    for (const p of labs) p.cleanup();
  });

  it('a user outside the group is refused by the helper naming the polkit action, and nothing is made', async () => {
    const before = sh(['ip', '-n', hostNs[0], '-br', 'link']);
    for (const driver of ['wireguard', 'quic']) {
      const denied = await nova(0, no, ['net', 'create', wg, '--type', 'overlay', '--driver', driver, '--subnet', `10.112.${o + 1}.1/24`]);
      expect(errorOf(denied)).toMatchObject({ code: 'PERMISSION', message: expect.stringContaining('org.nova.manage-networks'), details: { action: 'org.nova.manage-networks' } });
    }
    expect(sh(['ip', '-n', hostNs[0], '-br', 'link'])).toBe(before);
  }, 60_000);

  it('the user joins the hosts with a wireguard overlay: both bridges ping each other through the tunnel, Active; another user cannot change its peers', async () => {
    await join2(wg, 'wireguard', 51820, o + 1);
    await waitFor('A pings B across the wireguard overlay', () => pings(hostNs[0], `10.112.${o + 1}.2`), 30_000);
    await waitFor('B pings A', () => pings(hostNs[1], `10.112.${o + 1}.1`), 10_000);
    const info = await waitFor('wireguard overlay Active for the user', async () => {
      const i = json<{ state: string; overlay: { mode: string; peers: { reachable: boolean }[] } }>(await nova(0, ok, ['net', 'inspect', wg]));
      return i.state === 'Active' ? i : undefined;
    }, 30_000);
    expect(info.overlay.peers.every((p) => p.reachable)).toBe(true);
    // wireguard-go runs for the user's overlay as root (privd), never as the user.
    expect(processes('wireguard-go -f nvw').filter((p) => p.uid === ok.uid)).toEqual([]);
    const other = await nova(0, no, ['net', 'update', wg, '--peer', `${'A'.repeat(43)}=@${under[1]}:51820`]);
    expect(errorOf(other).code).toBe('PERMISSION');
  }, 120_000);

  it('the user joins the hosts with a quic overlay (dns = true): Active, the tunnel runs as nobody', async () => {
    await join2(qc, 'quic', 4433, o + 2);
    await waitFor('A pings B across the quic overlay', () => pings(hostNs[0], `10.112.${o + 2}.2`), 30_000);
    const info = await waitFor('quic overlay Active for the user', async () => {
      const i = json<{ state: string; spec: { dns: boolean }; overlay: { mtu: number } }>(await nova(1, ok, ['net', 'inspect', qc]));
      return i.state === 'Active' ? i : undefined;
    }, 30_000);
    expect([info.spec.dns, info.overlay.mtu]).toEqual([true, 1419]);
    const tunnels = processes(`/${qc}`).filter((p) => p.cmd.includes('nova-quic-tunnel'));
    expect(tunnels).toHaveLength(2);
    expect(tunnels.every((t) => t.uid !== 0 && t.uid !== ok.uid)).toBe(true);
  }, 120_000);

  it('a TCG VM on host A pings a capsule on host B across the quic overlay and resolves its name', async () => {
    // The capsule: a network namespace of the user's own (unshare), its veth attached by B's helper.
    capsule = spawn('ip', ['netns', 'exec', hostNs[1], ...TestUsers.as(ok), 'unshare', '-rn', 'sleep', '3600'], { stdio: 'ignore' });
    const pid = await waitFor('the capsule\'s process', () => processes('sleep 3600').find((p) => p.uid === ok.uid && p.pid === capsule!.pid)?.pid, 10_000);
    const att = await labs[1]!.raw(ok, { verb: 'attach.veth', input: { network: qc, owner: { kind: 'capsule', name: 'cb' }, pid } });
    expect(att, JSON.stringify(att)).toMatchObject({ ok: true });
    const cb = (att.value as { value: { ip: string } }).value.ip;
    expect(cb.startsWith(`10.112.${o + 2}.`)).toBe(true);

    const guest = await ensureTestGuest();
    expect((await nova(0, ok, ['config', 'allow-root', dirname(guest.kernel)])).stderr).toBe('');
    json(await nova(0, ok, ['vm', 'create', 'tg', '--kernel', guest.kernel, '--initrd', guest.initrd, '--cmdline', TEST_GUEST_CMDLINE, '--memory', '128Mi', '--cpu', '1', '--network', qc]));
    const vm = json<{ state: string; serialLog: string }>(await nova(0, ok, ['vm', 'start', 'tg']));
    expect(vm.state).toBe('running');
    const lease = await waitFor('the VM\'s DHCP lease from host A', () => /nova-net: eth0 (10\.112\.\d+\.\d+)\//.exec(sh(['cat', vm.serialLog]))?.[1], 120_000, 500);
    expect(lease.startsWith(`10.112.${o + 2}.`)).toBe(true);
    // The guest's NIC has the overlay's MTU (virtio-net host_mtu), so full-size frames fit the tunnel.
    await waitFor('the guest agent', async () => (await guestExec('true')).exitCode === 0, 120_000, 1000);
    expect((await guestExec('cat /sys/class/net/eth0/mtu')).stdout.trim()).toBe('1419');
    const ping = await waitFor('VM → capsule on host B', async () => {
      const r = await guestExec(`ping -c 1 -W 2 ${cb}`);
      return r.exitCode === 0 ? r : undefined;
    }, 30_000, 500);
    expect(ping.stdout).toContain('1 packets received');
    const name = await waitFor('the VM resolves cb (on host B) by name', async () => {
      const r = await guestExec(`nslookup cb.${qc}.nova $(cat /tmp/dns)`);
      return r.stdout.includes(cb) ? r : undefined;
    }, 30_000, 500);
    // Both halves of the lookup answered: A from host B, AAAA "no such record" (not REFUSED).
    expect(name.exitCode, name.stdout).toBe(0);
  }, 400_000);
});
