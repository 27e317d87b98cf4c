// driver = "wireguard" between real "hosts": network namespaces joined by a plain underlay bridge,
// each with its own Nova engine (own NOVA_HOME, NOVA_NETNS) and a guest namespace on its switch.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../engine.js';
import type { Input, Method, Output } from '../../../shared/contract.js';
import { describeHost, tempHome } from '../../../test/host.js';
import type { TempHome } from '../../../test/host.js';
import { NetnsLab, inNs, sh, suffix } from '../../../test/netns.js';
import { waitFor } from '../../../test/wait.js';

const TOOLS = ['ip', 'wg', 'wireguard-go', 'tcpdump', 'busybox', 'dnsmasq', 'nft', 'nsenter', 'curl'];
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The shared poller (src/test/wait.ts), in this file's argument order. */
const until = <T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> =>
  waitFor(what, fn as () => Promise<NonNullable<T> | undefined | false>, ms);
const call = <M extends Method>(e: Engine, m: M, input: Input<M>): Promise<Output<M>> => e.dispatcher.invoke<M>(m, input);
const codeOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
const pings = (ns: string, ip: string) => !inNs(ns, ['busybox', 'ping', '-c', '1', '-W', '1', ip], { allowFailure: true }).startsWith('__FAILED__');

interface Host {
  ns: string;
  guest: string;
  underlay: string;
  home: TempHome;
  engine: Engine;
  ip?: string;
  key?: string;
}

describeHost('wireguard overlay between namespaces acting as hosts', { root: true, tools: TOOLS }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const u = 10 + Math.floor(Math.random() * 200); // 10.118.u.0/24 underlay, 10.118.(u+1).0/24 overlay
  const o = u + 1;
  const ov = `w${sfx}`;
  const ul = `nwgu-${sfx}`;
  const hosts: Host[] = [];
  const wgPids = () => hosts.flatMap((h) => {
    const dir = join(h.home.dir, 'run', 'networks', 'wireguard');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.pid')).map((f) => Number(readFileSync(join(dir, f), 'utf8'))) : [];
  });

  async function addHost(i: number): Promise<Host> {
    const ns = lab.add(`nwgh${i}-${sfx}`);
    const guest = lab.add(`nwgg${i}-${sfx}`);
    const underlay = `10.118.${u}.${i}`;
    lab.link(ns, 'ul0', `${underlay}/24`, ul, `p${i}${sfx}`, undefined);
    sh(['ip', '-n', ul, 'link', 'set', `p${i}${sfx}`, 'master', 'br0']);
    const home = await tempHome(`nwg${i}-`);
    const h: Host = { ns, guest, underlay, home, engine: home.engine({ env: { ...home.env, NOVA_NETNS: ns } }) };
    hosts.push(h);
    return h;
  }
  const peerOf = (h: Host) => `${h.key}@${h.underlay}:51820`;
  const spec = (i: number, peers: string[]) => ({ type: 'overlay' as const, driver: 'wireguard' as const, subnet: `10.118.${o}.${i}/24`, peers });

  beforeAll(async () => {
    lab.add(ul);
    sh(['ip', '-n', ul, 'link', 'add', 'br0', 'type', 'bridge']);
    sh(['ip', '-n', ul, 'link', 'set', 'br0', 'up']);
    for (const i of [1, 2, 3]) await addHost(i);
  });

  afterAll(async () => {
    const pids = wgPids();
    for (const h of hosts) await call(h.engine, 'network.rm', { name: ov, force: true }).catch(() => undefined);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    lab.cleanup(hosts.map((h) => h.home.dir));
    for (const h of hosts) await h.home.cleanup();
  });

  it('bad peer specs are clear errors that create nothing', async () => {
    const [h1] = hosts as [Host];
    const before = inNs(h1.ns, ['ip', '-br', 'link']);
    const sockets = existsSync('/var/run/wireguard') ? readdirSync('/var/run/wireguard') : [];
    const key = execFileSync('wg', ['genkey'], { encoding: 'utf8' }).trim();
    const pub = execFileSync('wg', ['pubkey'], { input: `${key}\n`, encoding: 'utf8' }).trim();
    const bad: [string, RegExp][] = [
      [`${pub}@10.118.${u}.2`, /peers(\[0\]|\.0).*has no port.*PUBLICKEY@192\.0\.2\.10:51820/],
      [`not-a-key@10.118.${u}.2:51820`, /peers(\[0\]|\.0).*"not-a-key" is not a WireGuard public key/],
      [`${pub}@no-such-host.invalid:51820`, /peers(\[0\]|\.0).*host "no-such-host\.invalid" does not resolve/],
      [`10.118.${u}.2:51820`, /peers(\[0\]|\.0).*has no public key/],
    ];
    for (const [peer, msg] of bad) {
      const got = await codeOf(call(h1.engine, 'network.create', { name: ov, spec: spec(1, [peer]) }));
      expect(got).toMatch(/^INVALID_INPUT/);
      expect(got).toMatch(msg);
    }
    expect(inNs(h1.ns, ['ip', '-br', 'link'])).toBe(before);
    expect(existsSync(join(h1.home.dir, 'data', 'networks', `${ov}.json`))).toBe(false);
    expect(existsSync('/var/run/wireguard') ? readdirSync('/var/run/wireguard') : []).toEqual(sockets);
  });

  it('three hosts: keys 0600, guests ping across hosts, MTU set on every hop, Active once peers handshake', async () => {
    // Each host creates the overlay alone first (its key is made then), then lists the others.
    for (const [i, h] of hosts.entries()) {
      const info = await call(h.engine, 'network.create', { name: ov, spec: spec(i + 1, []) });
      expect(info.overlay?.driver).toBe('wireguard');
      h.key = info.overlay!.identity!;
      expect(h.key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      const keyFile = join(h.home.dir, 'data', 'networks', 'keys', 'wireguard.key');
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(keyFile, 'utf8')).not.toContain(h.key);
    }
    for (const [i, h] of hosts.entries()) {
      const others = hosts.filter((x) => x !== h).map(peerOf);
      await call(h.engine, 'network.update', { name: ov, spec: spec(i + 1, others) });
      const a = await call(h.engine, 'network.attach', { network: ov, owner: { kind: 'capsule', name: `g${i + 1}` }, netns: `/run/netns/${h.guest}` });
      h.ip = a.ip!;
    }
    // Each host's guests come from its own block of the subnet (.16-.31, .32-.47, .48-.63).
    expect(hosts.map((h) => h.ip)).toEqual([`10.118.${o}.16`, `10.118.${o}.32`, `10.118.${o}.48`]);
    for (const [a, b] of [[0, 1], [0, 2], [1, 2], [2, 0]] as const) {
      await until(() => pings(hosts[a]!.guest, hosts[b]!.ip!), 20_000, `guest ${a + 1} → guest ${b + 1}`);
    }
    // dns = true across hosts: each guest resolves the others' names (in the overlay's domain;
    // a real guest's resolver adds it from its search list) through its own host's dnsmasq,
    // which asks the other hosts inside the tunnel.
    for (const [a, b] of [[0, 1], [0, 2], [1, 2], [2, 0]] as const) {
      const gw = `10.118.${o}.${a + 1}`;
      for (const name of [`g${b + 1}.${ov}.nova`]) {
        const out = await until(() => {
          const r = inNs(hosts[a]!.guest, ['busybox', 'nslookup', '-type=a', name, gw], { allowFailure: true });
          return r.includes(hosts[b]!.ip!) ? r : undefined;
        }, 10_000, `guest ${a + 1} resolves ${name}`);
        expect(out).toContain(hosts[b]!.ip!);
      }
    }
    expect(inNs(hosts[0]!.guest, ['busybox', 'nslookup', '-type=a', `nobody.${ov}.nova`, `10.118.${o}.1`], { allowFailure: true })).toMatch(/__FAILED__|can't find/);
    for (const h of hosts) {
      const info = await until(async () => {
        const i = await call(h.engine, 'network.inspect', { name: ov });
        return i.state === 'Active' ? i : undefined;
      }, 20_000, `${h.ns} Active`);
      expect(info.overlay).toMatchObject({ mode: 'wireguard-go (userspace)', listenPort: 51820, mtu: 1350 });
      expect(info.overlay!.peers.every((p) => p.reachable && p.since)).toBe(true);
      const mtus = JSON.parse(inNs(h.ns, ['ip', '-j', 'link'])) as { ifname: string; mtu: number; master?: string }[];
      expect(mtus.find((l) => l.ifname === ov)?.mtu).toBe(1350);
      expect(mtus.filter((l) => l.master === ov).map((l) => l.mtu)).toEqual([1350, 1350]);
      expect(mtus.find((l) => l.ifname.startsWith('nvw'))?.mtu).toBe(1420);
      expect(JSON.parse(inNs(h.guest, ['ip', '-j', 'link', 'show', 'eth0']))[0].mtu).toBe(1350);
    }
  });

  it('the underlay carries no guest payload in clear (tcpdump), while the guest side does', async () => {
    const [h1, h2] = hosts as [Host, Host];
    const marker = `NOVA-MARKER-${sfx}-${Date.now()}`;
    const www = join(h2.home.dir, 'www');
    sh(['mkdir', '-p', www]);
    lab.spawn(h2.guest, ['busybox', 'httpd', '-f', '-p', '80', '-h', www]);
    await until(() => !inNs(h2.guest, ['curl', '-s', '--max-time', '1', 'http://127.0.0.1/'], { allowFailure: true }).startsWith('__FAILED__') || undefined, 5000, 'httpd');
    const under = join(h1.home.dir, 'under.pcap');
    const over = join(h1.home.dir, 'over.pcap');
    const caps = [lab.spawn(ul, ['tcpdump', '-i', 'br0', '-n', '-U', '-w', under]), lab.spawn(h1.ns, ['tcpdump', '-i', ov, '-n', '-U', '-w', over])];
    await until(() => existsSync(under) && existsSync(over), 5000, 'tcpdump files');
    await wait(500);
    for (let k = 0; k < 3; k++) inNs(h1.guest, ['curl', '-s', '--max-time', '3', `http://${h2.ip}/${marker}`], { allowFailure: true });
    await until(() => readFileSync(over).includes(marker), 5000, 'marker on the guest side');
    for (const pid of caps) process.kill(pid, 'SIGINT');
    await wait(300);
    const wire = readFileSync(under);
    expect(wire.length).toBeGreaterThan(500); // the tunnel's packets were captured…
    expect(wire.includes(marker)).toBe(false); // …and none carries the marker in clear
    expect(wire.includes(Buffer.from(`GET /${marker}`))).toBe(false);
  });

  it('a host whose key no peer lists cannot join', async () => {
    const [h1] = hosts as [Host];
    const h4 = await addHost(4);
    const info = await call(h4.engine, 'network.create', { name: ov, spec: spec(4, [peerOf(h1)]) });
    const a = await call(h4.engine, 'network.attach', { network: ov, owner: { kind: 'capsule', name: 'g4' }, netns: `/run/netns/${h4.guest}` });
    expect(a.ip).toBe(`10.118.${o}.64`);
    await wait(3000);
    expect(pings(h4.guest, h1.ip!)).toBe(false);
    expect(pings(h1.guest, a.ip!)).toBe(false);
    const st = await call(h4.engine, 'network.inspect', { name: ov });
    expect(st.state).toBe('Degraded');
    expect(st.reason).toMatch(new RegExp(`peer 10\\.118\\.${u}\\.1:51820 unreachable \\(never reached\\)`));
    expect(st.overlay!.peers[0]).toMatchObject({ reachable: false });
    expect(info.overlay!.identity).not.toBe(h1.key);
    await call(h4.engine, 'network.rm', { name: ov, force: true });
  });

  it('wireguard-go killed with -9 comes back (supervisor) and traffic resumes; hydrate after engine restart too', async () => {
    const [h1, h2] = hosts as [Host, Host];
    await h2.engine.start(); // starts the overlay supervisor
    // The pid file is rewritten by the repair (briefly absent or empty while it runs).
    const wgDir = join(h2.home.dir, 'run', 'networks', 'wireguard');
    const currentPid = (): number | undefined => {
      try {
        const f = readdirSync(wgDir).find((x) => x.endsWith('.pid'));
        const pid = f ? Number(readFileSync(join(wgDir, f), 'utf8').trim()) : NaN;
        return pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
      } catch {
        return undefined;
      }
    };
    const pid = await until(currentPid, 5000, 'wireguard-go pid');
    process.kill(pid, 'SIGKILL');
    await until(() => {
      const now = currentPid();
      return now !== undefined && now !== pid;
    }, 15_000, 'wireguard-go restarted');
    await until(() => pings(h1.guest, h2.ip!), 20_000, 'guest 1 → guest 2 after the restart');
    await until(() => pings(h2.guest, hosts[2]!.ip!), 20_000, 'guest 2 → guest 3 after the restart');
    const resolves = (g: Host, name: string, gw: string, ip: string) => inNs(g.guest, ['busybox', 'nslookup', '-type=a', `${name}.${ov}.nova`, gw], { allowFailure: true }).includes(ip);
    await until(() => resolves(h1, 'g2', `10.118.${o}.1`, h2.ip!), 10_000, 'guest 1 resolves g2 after the restart');
    await until(() => resolves(h2, 'g1', `10.118.${o}.2`, h1.ip!), 10_000, 'guest 2 resolves g1 after the restart');

    // Without a running engine: kill it again, a new engine's start (hydrate) brings it back.
    await h2.engine.close();
    const pid2 = await until(currentPid, 5000, 'wireguard-go pid');
    process.kill(pid2, 'SIGKILL');
    await until(() => !existsSync(`/proc/${pid2}`) || readFileSync(`/proc/${pid2}/stat`, 'utf8').includes(') Z'), 5000, 'wireguard-go gone');
    const down = await call(h1.engine, 'network.inspect', { name: ov });
    expect(down.overlay?.peers.length).toBe(2);
    h2.engine = h2.home.engine({ env: { ...h2.home.env, NOVA_NETNS: h2.ns } });
    await h2.engine.start();
    await until(() => pings(h1.guest, h2.ip!), 20_000, 'guest 1 → guest 2 after hydrate');
    expect((await call(h2.engine, 'network.inspect', { name: ov })).overlay?.peers.length).toBe(2);
  });
});
