// Networks against the real thing: bridges, veths, nftables, dnsmasq, busybox clients and tcpdump,
// all inside namespaces this file creates (the engine runs with NOVA_NETNS, its own nft table).
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { netCtx } from './context.js';
import { dnsmasqDir } from './dnsmasq.js';
import type { Input, Method, Output } from '../../shared/contract.js';
import { describeHost, missing, tempHome } from '../../test/host.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import type { TempHome } from '../../test/host.js';
import { NetnsLab, freeOctets, inNs, sh, suffix } from '../../test/netns.js';
import { waitFor } from '../../test/wait.js';

const TOOLS = ['ip', 'nft', 'dnsmasq', 'tcpdump', 'busybox', 'curl', 'nsenter'];
const OK_PING = /[^0-9]0% packet loss/;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The shared poller treats only undefined/false as "not yet"; these checks also use null, '' and 0.
const until = <T>(fn: () => T | Promise<T>, ms: number, what: string): Promise<NonNullable<T>> =>
  waitFor(what, async () => (await fn()) || undefined, Math.max(ms, 30_000)) as Promise<NonNullable<T>>;

describeHost('networks in namespaces', { root: true, tools: TOOLS }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const [o1, o2, o3, o4, o5, o6, o7] = freeOctets(7);
  const host = `nvh-${sfx}`;
  const outside = `nvo-${sfx}`;
  const [c1, c2, c3, c4] = ['c1', 'c2', 'c3', 'c4'].map((c) => `nv${c}-${sfx}`) as [string, string, string, string];
  const nat = `n${sfx}`;
  const iso = `i${sfx}`;
  const ext = `e${sfx}`;
  const wan = `wan${sfx}`;
  const extUp = `up${sfx}`;
  const natGw = `10.213.${o1}.1`;
  const outsideIp = `10.213.${o3}.2`;
  const hostWanIp = `10.213.${o3}.1`;
  let home: TempHome;
  let engine: Engine;
  let tmp: string;
  const env = () => ({ ...home.env, NOVA_NETNS: host });
  const call = <M extends Method>(e: Engine, m: M, input: Input<M>): Promise<Output<M>> => e.dispatcher.invoke<M>(m, input);
  /** Looks a name up through the switch's dnsmasq, retrying briefly: a HUP re-read is asynchronous. */
  const lookup = (ns: string, args: string[], server: string) =>
    until(() => {
      const out = inNs(ns, ['busybox', 'nslookup', ...args, server], { allowFailure: true });
      return out.startsWith('__FAILED__') ? undefined : out;
    }, 5000, `nslookup ${args.join(' ')}`);
  const codeOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
  const nftJson = () => JSON.parse(inNs(host, ['nft', '-j', 'list', 'table', 'ip', 'nova'])) as { nftables: { rule?: { comment?: string; expr: unknown[] } }[] };

  beforeAll(async () => {
    home = await tempHome('nvnet-');
    tmp = join(home.dir, 'lab');
    mkdirSync(tmp, { recursive: true });
    for (const ns of [host, outside, c1, c2, c3, c4]) lab.add(ns);
    lab.link(host, wan, `${hostWanIp}/24`, outside, 'eth0', `${outsideIp}/24`);
    sh(['ip', '-n', host, 'link', 'add', extUp, 'type', 'veth', 'peer', 'name', `${extUp}p`]);
    sh(['ip', '-n', host, 'link', 'set', extUp, 'up']);
    sh(['ip', '-n', host, 'addr', 'add', `10.213.${o7}.5/24`, 'dev', extUp]);
    sh(['ip', '-n', host, 'route', 'add', '198.51.100.0/24', 'via', `10.213.${o7}.1`, 'dev', extUp]);
    engine = home.engine({ env: env() });
  });

  afterAll(async () => {
    lab.cleanup(home ? [home.dir] : []);
    await home?.cleanup();
  });

  it('rejects bad input clearly and changes nothing on the host', async () => {
    await call(engine, 'network.create', { name: nat, spec: { profile: 'nat', uplink: wan, subnet: `${natGw}/24`, dhcp_range: `10.213.${o1}.100-10.213.${o1}.200` } });
    const before = [inNs(host, ['ip', '-j', 'link']).replace(/"operstate":"\w+",?/g, ''), inNs(host, ['nft', '-j', 'list', 'ruleset'])];
    const bad = [
      [{ name: 'x1', spec: { profile: 'nat', subnet: `10.213.${o1}.129/25` } }, /subnet.*overlaps network/],
      [{ name: 'x2', spec: { profile: 'nat', subnet: `10.213.${o6}.1/24`, dhcp_range: `10.213.${o5}.10-10.213.${o5}.20` } }, /dhcp_range .* outside the subnet/],
      [{ name: 'averyveryverylongname', spec: {} }, /invalid name.*1-15/],
      [{ name: 'x3', spec: { profile: 'nat', uplink: 'enp6s0', subnet: `10.213.${o6}.1/24` } }, /uplink "enp6s0" does not exist/],
      [{ name: 'x4', spec: { type: 'overlay', driver: 'vxlan', peers: ['192.0.2.1:4789'] } }, /peers.0.*not an IPv4 address|IPv4/],
    ] as const;
    for (const [input, msg] of bad) {
      const got = await codeOf(call(engine, 'network.create', input as Input<'network.create'>));
      expect(got).toMatch(msg);
      if (!/HOST_UNSUPPORTED/.test(got)) expect(got).toMatch(/^INVALID_INPUT/);
    }
    const after = [inNs(host, ['ip', '-j', 'link']).replace(/"operstate":"\w+",?/g, ''), inNs(host, ['nft', '-j', 'list', 'ruleset'])];
    expect(after).toEqual(before);
    expect(existsSync(join(home.dir, 'data', 'networks', 'x1.json'))).toBe(false);
  });

  it('nat switch: static + DHCP leases, names resolve, masquerade, port forward with hairpin, no global ip_forward', async () => {
    expect(existsSync(join(home.dir, 'data', 'networks', `${nat}.json`))).toBe(true);
    const web = await call(engine, 'network.attach', { network: nat, owner: { kind: 'capsule', name: 'web' }, netns: `/run/netns/${c1}`, ports: ['8080:80'] });
    const db = await call(engine, 'network.attach', { network: nat, owner: { kind: 'capsule', name: 'db' }, netns: `/run/netns/${c2}` });
    expect(web.ip).toMatch(new RegExp(`^10\\.213\\.${o1}\\.`));
    expect(web.gateway).toBe(natGw);
    // Same owner again → same address and MAC (stable reservation).
    const again = await call(engine, 'network.attach', { network: nat, owner: { kind: 'capsule', name: 'web' }, netns: `/run/netns/${c1}` });
    expect([again.ip, again.mac]).toEqual([web.ip, web.mac]);

    // A DHCP client (busybox udhcpc with a script that only writes under our temp dir).
    sh(['ip', '-n', host, 'link', 'add', `dh${sfx}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', c3]);
    sh(['ip', '-n', host, 'link', 'set', `dh${sfx}`, 'master', nat, 'up']);
    sh(['ip', '-n', c3, 'link', 'set', 'eth0', 'up']);
    const script = join(tmp, 'udhcpc.sh');
    writeFileSync(script, `#!/bin/sh\necho "$1 ip=$ip router=$router dns=$dns" >> ${join(tmp, 'udhcpc.log')}\nexit 0\n`);
    chmodSync(script, 0o755);
    inNs(c3, ['busybox', 'udhcpc', '-i', 'eth0', '-s', script, '-n', '-q', '-f', '-t', '5', '-T', '1', '-x', 'hostname:dhcpc'], { timeout: 20_000 });
    const log = readFileSync(join(tmp, 'udhcpc.log'), 'utf8');
    expect(log).toMatch(new RegExp(`bound ip=10\\.213\\.${o1}\\.(1\\d\\d|200) router=${natGw.replace(/\./g, '\\.')} dns=${natGw.replace(/\./g, '\\.')}`));
    const leased = log.match(/bound ip=(\S+)/)![1]!;
    const leases = await call(engine, 'network.leases', { name: nat });
    expect(leases.items).toEqual(expect.arrayContaining([expect.objectContaining({ ip: leased, hostname: 'dhcpc', static: false }), expect.objectContaining({ ip: web.ip, hostname: 'web', static: true })]));

    // Discovery: db resolves web (static) and the DHCP client by name through dnsmasq.
    expect((await lookup(c2, ['web'], natGw))).toContain(web.ip!);
    expect((await lookup(c2, [`dhcpc.${nat}.nova`], natGw))).toContain(leased);
    await call(engine, 'network.dns.add', { network: nat, record: { name: 'api', ip: `10.213.${o1}.77` } });
    expect((await lookup(c2, ['api'], natGw))).toContain(`10.213.${o1}.77`);
    await call(engine, 'network.dns.add', { network: nat, record: { name: 'web-http', service: '_http._tcp', port: 80, target: `web.${nat}.nova` } });
    expect((await lookup(c2, ['-type=SRV', `_http._tcp.${nat}.nova`], natGw))).toMatch(new RegExp(`80 web\\.${nat}\\.nova`));

    // A VM NIC: a TAP on the bridge, a static DHCP reservation for its MAC, resolvable by name.
    const vm = await call(engine, 'network.attach', { network: nat, owner: { kind: 'vm', name: 'win11' } });
    expect(vm.mac).toMatch(/^52:54:00:/);
    const tap = JSON.parse(sh(['ip', '-n', host, '-d', '-j', 'link', 'show', vm.ifname]))[0] as { master?: string; linkinfo?: { info_kind?: string } };
    expect([tap.master, tap.linkinfo?.info_kind]).toEqual([nat, 'tun']);
    expect(readFileSync(join(dnsmasqDir(netCtx(engine), nat), 'dhcp-hosts'), 'utf8')).toContain(`${vm.mac},${vm.ip},win11`);
    expect((await lookup(c2, ['win11'], natGw))).toContain(vm.ip!);
    await call(engine, 'network.detach', { network: nat, owner: { kind: 'vm', name: 'win11' } });
    expect(inNs(host, ['ip', 'link', 'show', vm.ifname], { allowFailure: true })).toMatch(/__FAILED__/);
    expect((await call(engine, 'network.attach', { network: nat, owner: { kind: 'vm', name: 'win11' } })).ip).toBe(vm.ip);

    // Masquerade, read back with nft -j.
    const rules = nftJson().nftables.filter((i) => i.rule).map((i) => i.rule!);
    const masq = rules.find((r) => r.comment === `nova:${nat}:masquerade`);
    expect(JSON.stringify(masq?.expr)).toContain('"masquerade"');
    expect(inNs(c1, ['busybox', 'ping', '-c', '1', '-W', '2', outsideIp])).toMatch(OK_PING);

    // Port forward 8080 → web:80 from the host, from outside, and from db on the same bridge (hairpin).
    const www = join(tmp, 'www');
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, 'index.html'), `hello-${sfx}\n`);
    lab.spawn(c1, ['busybox', 'httpd', '-f', '-p', '80', '-h', www]);
    await until(() => !inNs(c1, ['curl', '-s', '--max-time', '1', 'http://127.0.0.1/'], { allowFailure: true }).startsWith('__FAILED__'), 5000, 'httpd');
    const curl = (ns: string, ip: string) => inNs(ns, ['curl', '-s', '--max-time', '4', `http://${ip}:8080/`], { allowFailure: true });
    expect(curl(host, hostWanIp)).toBe(`hello-${sfx}\n`);
    expect(curl(outside, hostWanIp)).toBe(`hello-${sfx}\n`);
    expect(curl(c2, natGw)).toBe(`hello-${sfx}\n`);
    expect(curl(host, '127.0.0.1')).toBe(`hello-${sfx}\n`);
    // A second owner asking for the same host port is refused before anything is created.
    const links = inNs(host, ['ip', '-br', 'link']);
    expect(await codeOf(call(engine, 'network.attach', { network: nat, owner: { kind: 'capsule', name: 'web2' }, netns: `/run/netns/${c3}`, ports: ['8080:8080'] }))).toMatch(/^CONFLICT: host port 8080 is already forwarded to capsule "web"/);
    expect(inNs(host, ['ip', '-br', 'link'])).toBe(links);
    expect(inNs(host, ['sysctl', '-n', 'net.ipv4.ip_forward']).trim()).toBe('0');
    const fw = await call(engine, 'network.forward.list', { network: nat });
    expect(fw.items).toEqual([expect.objectContaining({ port: '8080:80', target: web.ip })]);
  });

  it.skipIf(missing({ tools: ['qemu-system-x86_64'] }) !== undefined)('a TCG guest on its TAP gets the reserved address by DHCP and is reachable by name', async () => {
    const guest = await ensureTestGuest();
    const vm = await call(engine, 'network.attach', { network: nat, owner: { kind: 'vm', name: 'tcg1' } });
    const serial = join(tmp, 'tcg1.serial');
    const pidfile = join(tmp, 'tcg1.pid');
    // QEMU opens the TAP by name, so it runs in the switch's namespace.
    inNs(host, [
      'qemu-system-x86_64', '-accel', 'tcg', '-m', '256', '-display', 'none', '-daemonize', '-pidfile', pidfile,
      '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', TEST_GUEST_CMDLINE, '-serial', `file:${serial}`,
      '-netdev', `tap,id=n0,ifname=${vm.ifname},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n0,mac=${vm.mac}`,
    ], { timeout: 60_000 });
    lab.pids.push(Number(readFileSync(pidfile, 'utf8')));
    const line = await until(() => readFileSync(serial, 'utf8').match(/nova-net: eth0 (\S+) router=(\S+)/), 120_000, 'the guest\'s DHCP lease');
    expect([line[1], line[2]]).toEqual([`${vm.ip}/24`, natGw]);
    expect((await lookup(c2, ['tcg1'], natGw))).toContain(vm.ip!);
    expect(inNs(c2, ['busybox', 'ping', '-c', '1', '-W', '3', vm.ip!])).toMatch(OK_PING);
  }, 180_000);

  it('isolated switch: no way out, no forwards', async () => {
    await call(engine, 'network.create', { name: iso, spec: { profile: 'isolated', subnet: `10.213.${o2}.1/24` } });
    const a = await call(engine, 'network.attach', { network: iso, owner: { kind: 'capsule', name: 'lonely' }, netns: `/run/netns/${c4}` });
    expect(inNs(c4, ['busybox', 'ping', '-c', '1', '-W', '1', `10.213.${o2}.1`])).toMatch(OK_PING);
    sh(['ip', '-n', c4, 'route', 'add', 'default', 'via', `10.213.${o2}.1`]);
    expect(inNs(c4, ['busybox', 'ping', '-c', '1', '-W', '1', outsideIp], { allowFailure: true })).toMatch(/__FAILED__|100% packet loss/);
    expect(await codeOf(call(engine, 'network.forward.add', { network: iso, owner: { kind: 'capsule', name: 'lonely' }, port: '9090:80' }))).toMatch(/INVALID_INPUT.*need profile = "nat"/);
    expect(a.ip).toBeTruthy();
    // In-place update (the NovaFile planner's path): the range changes, dnsmasq follows, the capsule stays.
    const updated = await call(engine, 'network.update', { name: iso, spec: { profile: 'isolated', subnet: `10.213.${o2}.1/24`, dhcp_range: `10.213.${o2}.200-10.213.${o2}.210` } });
    expect(updated.dhcpRange).toBe(`10.213.${o2}.200-10.213.${o2}.210`);
    const dnsmasqArgs = sh(['ps', '-eo', 'args']).split('\n').find((l) => l.includes(`--interface=${iso} `))!;
    expect(dnsmasqArgs).toContain(`--dhcp-range=10.213.${o2}.200,10.213.${o2}.210,`);
    // This engine is root, its dnsmasq is not (it drops to dnsmasq/nobody before reading anything).
    const dnsmasqUsers = sh(['ps', '-eo', 'user:32=,args=']).split('\n').filter((l) => l.includes(`--interface=${iso} `)).map((l) => l.trim().split(/\s+/)[0]);
    expect(dnsmasqUsers).toHaveLength(1);
    expect(dnsmasqUsers[0]).not.toBe('root');
    expect(await codeOf(call(engine, 'network.update', { name: iso, spec: { profile: 'isolated', subnet: `10.213.${o5}.1/24` } }))).toMatch(/^INVALID_INPUT: subnet cannot change in place/);
    const info = await call(engine, 'network.inspect', { name: iso });
    expect(info.state).toBe('Active');
    expect(info.attachments).toEqual([expect.objectContaining({ ip: a.ip, attached: true })]);
  });

  it('capture: a ping is in the pcap and capture ls reads it', async () => {
    const cap = await call(engine, 'network.capture.start', { network: nat, filter: 'icmp' });
    expect(cap.running).toBe(true);
    inNs(c2, ['busybox', 'ping', '-c', '3', '-i', '0.2', natGw]);
    await wait(300);
    const stopped = await call(engine, 'network.capture.stop', { id: cap.id });
    expect(stopped.running).toBe(false);
    expect(stopped.file).toBe(join(home.dir, 'data', 'captures', `${cap.id}.pcap`));
    const ls = await call(engine, 'network.capture.list', { network: nat });
    const row = ls.items.find((c) => c.id === cap.id)!;
    expect(row.packets).toBeGreaterThanOrEqual(6);
    expect(row.last! - row.first!).toBeGreaterThanOrEqual(300);
    expect(await codeOf(call(engine, 'network.capture.start', { network: nat, filter: 'not a (filter' }))).toMatch(/INVALID_INPUT|capture on/);
    await call(engine, 'network.capture.rm', { id: cap.id });
    expect(existsSync(stopped.file)).toBe(false);
  });

  it('persistence: bridge deleted, table flushed, dnsmasq killed → engine start recreates everything', async () => {
    await call(engine, 'network.create', { name: ext, spec: { profile: 'external', uplink: extUp } });
    expect(sh(['ip', '-n', host, '-j', 'link', 'show', extUp])).toContain(`"master":"${ext}"`);
    // The uplink's address and routes moved to the bridge (an address on a bridge port is dead).
    expect(sh(['ip', '-n', host, '-br', 'addr', 'show', ext])).toContain(`10.213.${o7}.5/24`);
    expect(sh(['ip', '-n', host, 'route', 'show', '198.51.100.0/24'])).toContain(`dev ${ext}`);
    const pid = Number(readFileSync(join(dnsmasqDir(netCtx(engine), nat), 'dnsmasq.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    inNs(host, ['nft', 'flush', 'table', 'ip', 'nova']);
    await until(async () => (await call(engine, 'network.inspect', { name: nat })).state === 'Degraded', 3000, 'Degraded');
    expect((await call(engine, 'network.inspect', { name: nat })).reason).toBe('dnsmasq dead; NAT rules missing');
    const rows = (await call(engine, 'resource.list', { kind: 'network' })).items;
    expect(rows.find((r) => r.name === nat)).toMatchObject({ kind: 'network', state: 'Degraded', reason: 'dnsmasq dead; NAT rules missing' });
    sh(['ip', '-n', host, 'link', 'del', nat]);
    sh(['ip', '-n', host, 'link', 'del', ext]);
    // Orphans a kill -9 could leave: a Nova-aliased link and a dnsmasq nothing declares.
    const down = await call(engine, 'network.list', {});
    expect(down.items.find((n) => n.name === nat)).toMatchObject({ state: 'Down', reason: 'bridge missing' });

    const e2 = home.engine({ env: env() });
    const changed: string[] = [];
    e2.bus.on('notification', (n) => changed.push(n.title));
    await e2.start();
    expect(changed).toEqual(expect.arrayContaining([`Network ${nat} recreated`, `Network ${ext} recreated`]));
    const items = (await call(e2, 'network.list', {})).items;
    for (const name of [nat, iso, ext]) expect(items.find((n) => n.name === name)).toMatchObject({ state: 'Active' });
    expect(nftJson().nftables.some((i) => i.rule?.comment === `nova:${nat}:masquerade`)).toBe(true);
    expect(sh(['ip', '-n', host, '-j', 'link', 'show', extUp])).toContain(`"master":"${ext}"`);
    expect(sh(['ip', '-n', host, '-br', 'addr', 'show', ext])).toContain(`10.213.${o7}.5/24`);
    // Attachments came back onto the new bridge: names still resolve and the forward still works.
    expect((await lookup(c2, ['web'], natGw))).toContain(`10.213.${o1}.`);
    expect(inNs(c2, ['curl', '-s', '--max-time', '4', `http://${natGw}:8080/`])).toBe(`hello-${sfx}\n`);
    // A bridge recreated under a live dnsmasq: hydrate restarts it (bound to the old link, it stays
    // alive and answers no DHCP on the new one).
    sh(['ip', '-n', host, 'link', 'del', nat]);
    expect((await call(e2, 'network.hydrate', {})).recreated).toEqual([nat]);
    sh(['ip', '-n', host, 'link', 'set', `dh${sfx}`, 'master', nat, 'up']);
    inNs(c3, ['busybox', 'udhcpc', '-i', 'eth0', '-s', join(tmp, 'udhcpc.sh'), '-n', '-q', '-f', '-t', '4', '-T', '1'], { timeout: 20_000 });
    await e2.close();
  });

  it('kill -9 during create → restart leaves no orphan link, rule or process', async () => {
    const name = `k${sfx}`;
    const child = spawn(process.execPath, ['bin/nova.mjs', 'net', 'create', name, '--profile', 'nat', '--subnet', `10.213.${o4}.1/24`], {
      env: { ...env(), NOVA_FROM_SOURCE: '1' },
      stdio: 'ignore',
    });
    await until(() => inNs(host, ['ip', '-j', 'link', 'show', name], { allowFailure: true }).includes(name) || child.exitCode !== null, 30_000, 'bridge to appear');
    expect(child.exitCode).toBe(null); // killed mid-create, not after it finished or failed
    child.kill('SIGKILL');
    await wait(200);
    const e3 = home.engine({ env: env() });
    await e3.start();
    const declared = existsSync(join(home.dir, 'data', 'networks', `${name}.json`));
    const link = inNs(host, ['ip', '-j', 'link', 'show', name], { allowFailure: true });
    const rules = nftJson().nftables.filter((i) => i.rule?.comment?.startsWith(`nova:${name}:`));
    const procs = sh(['ps', '-eo', 'args']).split('\n').filter((l) => l.includes(`networks/${name}/dnsmasq.pid`) && l.includes(home.dir));
    console.log(`kill -9 mid-create: state file ${declared ? 'written (converged to Active)' : 'absent (orphans removed)'}`);
    if (declared) {
      expect((await call(e3, 'network.inspect', { name })).state).toBe('Active');
    } else {
      expect([link.startsWith('__FAILED__'), rules.length, procs.length]).toEqual([true, 0, 0]);
    }
    await e3.close();
  });

  it('monitor: samples, then offline after the threshold when the link goes down', async () => {
    const mon = `mon${sfx}`;
    sh(['ip', '-n', host, 'link', 'add', mon, 'type', 'veth', 'peer', 'name', `${mon}p`]);
    sh(['ip', '-n', host, 'link', 'set', mon, 'up']);
    sh(['ip', '-n', host, 'link', 'set', `${mon}p`, 'up']);
    const e4 = home.engine({ env: env() });
    const seen: string[] = [];
    e4.bus.on('metrics.sample', (s) => s.name === mon && seen.push('sample'));
    e4.bus.on('interface.offline', (s) => s.interface === mon && seen.push('offline'));
    e4.bus.on('interface.online', (s) => s.interface === mon && seen.push('online'));
    e4.bus.on('notification', (n) => n.subject === mon && seen.push(`notify:${n.title}`));
    await e4.start();
    await call(e4, 'network.monitor.set', { interface: mon, pollSeconds: 5, offlineThreshold: 1 });
    await until(() => seen.includes('sample'), 6000, 'a sample');
    expect((await call(e4, 'network.monitor.list', {})).items.find((i) => i.interface === mon)).toMatchObject({ online: true, settings: { pollSeconds: 5, offlineThreshold: 1 } });
    sh(['ip', '-n', host, 'link', 'set', mon, 'down']);
    await until(() => seen.includes('offline'), 9000, 'offline');
    expect(seen).toContain(`notify:${mon} is offline`);
    sh(['ip', '-n', host, 'link', 'set', mon, 'up']);
    await until(() => seen.includes('online'), 9000, 'online');
    // Persisted: a new engine sees the same settings.
    const prefs = await home.engine({ env: env() }).prefs.get();
    expect(prefs.monitoring[mon]).toEqual({ pollSeconds: 5, offlineThreshold: 1, notify: true });
    await e4.close();
  });

  it('rm removes bridge, rules and dnsmasq', async () => {
    const pid = Number(readFileSync(join(dnsmasqDir(netCtx(engine), nat), 'dnsmasq.pid'), 'utf8'));
    expect(await codeOf(call(engine, 'network.rm', { name: nat }))).toMatch(/^CONFLICT: network "\w+" is in use by capsule web, capsule db, vm win11/);
    expect(inNs(host, ['ip', '-br', 'link', 'show', nat])).toContain(nat);
    for (const name of [nat, iso, ext]) await call(engine, 'network.rm', { name, force: true });
    expect(inNs(host, ['ip', '-j', 'link', 'show', nat], { allowFailure: true })).toMatch(/__FAILED__/);
    expect(inNs(host, ['nft', 'list', 'tables'])).not.toContain('nova');
    const cmdline = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8'); // a zombie (late reaping by init) has none
      } catch {
        return '';
      }
    })();
    expect(cmdline).toBe('');
    // The external switch gave its uplink back, address and route included.
    expect(sh(['ip', '-n', host, '-br', 'addr', 'show', extUp])).toContain(`10.213.${o7}.5/24`);
    expect(sh(['ip', '-n', host, 'route', 'show', '198.51.100.0/24'])).toContain(`dev ${extUp}`);
    expect((await call(engine, 'network.list', {})).items.filter((n) => [nat, iso, ext].includes(n.name))).toEqual([]);
  });

  it('the spec line through the CLI: missing uplink → clear error, nothing created; existing uplink → done', async () => {
    // The real `nova` binary (src/core must not import the CLI), running from source.
    const nova = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(process.execPath, ['bin/nova.mjs', ...args], { env: { ...env(), NOVA_FROM_SOURCE: '1' }, timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
        );
      });
    const line = 'net create hyperv0 --type bridge --profile nat --uplink enp6s0 --subnet 192.168.220.1/24 --dhcp-range 192.168.220.50-192.168.220.150'.split(' ');
    const missing = await nova(line);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/INVALID_INPUT: uplink "enp6s0" does not exist on this host; pick one of: /);
    expect(inNs(host, ['ip', 'link', 'show', 'hyperv0'], { allowFailure: true })).toMatch(/__FAILED__/);
    expect(existsSync(join(home.dir, 'data', 'networks', 'hyperv0.json'))).toBe(false);
    sh(['ip', '-n', host, 'link', 'add', 'enp6s0', 'type', 'veth', 'peer', 'name', 'enp6s0p']);
    const ifaces = (await call(engine, 'network.interfaces', {})).items;
    expect(ifaces.find((i) => i.name === 'enp6s0')).toMatchObject({ kind: 'veth', nova: false });
    const done = await nova(line);
    expect(done).toEqual({ code: 0, out: 'Created network hyperv0: bridge/nat 192.168.220.1/24 — Active\n' });
    expect((await call(engine, 'network.interfaces', {})).items.find((i) => i.name === 'hyperv0')).toMatchObject({ kind: 'bridge', nova: true, addresses: ['192.168.220.1/24'] });
    const ls = await nova(['net', 'ls']);
    expect(ls.out).toMatch(/NAME\s+TYPE\s+PROFILE\s+SUBNET\s+STATE\s+ATTACHED\nhyperv0\s+bridge\s+nat\s+192\.168\.220\.1\/24\s+Active\s+0/);
    const masq = nftJson().nftables.find((i) => i.rule?.comment === 'nova:hyperv0:masquerade');
    expect(JSON.stringify(masq?.rule?.expr)).toContain('"enp6s0"');
    await call(engine, 'network.rm', { name: 'hyperv0' });
    expect(inNs(host, ['ip', 'link', 'show', 'hyperv0'], { allowFailure: true })).toMatch(/__FAILED__/);
  }, 180_000); // three cold CLI runs from source

  it('overlay: VXLAN between two namespaces acting as hosts carries ping', async () => {
    const hA = lab.add(`nvA-${sfx}`);
    const hB = lab.add(`nvB-${sfx}`);
    lab.link(hA, 'ul0', `10.213.${o5}.1/24`, hB, 'ul0', `10.213.${o5}.2/24`);
    const homeA = await tempHome('nvneta-');
    const homeB = await tempHome('nvnetb-');
    const eA = homeA.engine({ env: { ...homeA.env, NOVA_NETNS: hA } });
    const eB = homeB.engine({ env: { ...homeB.env, NOVA_NETNS: hB } });
    const ov = `o${sfx}`;
    try {
      const base = { type: 'overlay' as const, driver: 'vxlan' as const, vni: 4242, dns: false };
      await call(eA, 'network.create', { name: ov, spec: { ...base, subnet: `10.213.${o6}.1/24`, local: `10.213.${o5}.1`, peers: [`10.213.${o5}.2`] } });
      await call(eB, 'network.create', { name: ov, spec: { ...base, subnet: `10.213.${o6}.2/24`, local: `10.213.${o5}.2`, peers: [`10.213.${o5}.1`] } });
      expect((await call(eA, 'network.inspect', { name: ov })).state).toBe('Active');
      expect(inNs(hA, ['busybox', 'ping', '-c', '2', '-W', '2', `10.213.${o6}.2`])).toMatch(OK_PING);
      const vx = JSON.parse(sh(['ip', '-n', hA, '-d', '-j', 'link', 'show', 'master', ov])) as { linkinfo?: { info_kind?: string; info_data?: { id?: number } } }[];
      expect(vx.find((l) => l.linkinfo?.info_kind === 'vxlan')?.linkinfo?.info_data?.id).toBe(4242);
    } finally {
      // Removed through the engines: root's dnsmasq folders under /run/nova go with the switch.
      for (const e of [eA, eB]) await call(e, 'network.rm', { name: ov }).catch(() => undefined);
      lab.cleanup([homeA.dir, homeB.dir]);
      await homeA.cleanup();
      await homeB.cleanup();
    }
  });
});
