// driver = "quic" through three engines, each in its own network namespace ("host") on a bridged
// underlay: bad peer specs create nothing; the overlays' bridges ping each other across the
// tunnels (a full mesh: frames to the right peer by learned MAC, broadcasts to all); the identity
// `network.inspect` shows is what the other hosts pin, and network.update changes the peers in
// place; a tunnel killed with
// -9 leaves the TAP on the bridge, the peer's overlay goes Degraded (unreachable since …), and
// hydrate restarts it so traffic resumes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../../engine.js';
import type { Input, Method, Output } from '../../../../shared/contract.js';
import { describeHost, tempHome } from '../../../../test/host.js';
import type { TempHome } from '../../../../test/host.js';
import { NetnsLab, inNs, sh, suffix } from '../../../../test/netns.js';
import { waitFor } from '../../../../test/wait.js';
import { netCtx } from '../../context.js';
import { quicTapName } from '../../owner.js';
import { runAs, tunnelPid } from './process.js';

const root = join(import.meta.dirname, '..', '..', '..', '..', '..');
const sfx = suffix();
const nsA = `nqc-da-${sfx}`;
const nsB = `nqc-db-${sfx}`;
const nsC = `nqc-dc-${sfx}`;
const nsU = `nqc-du-${sfx}`;
/** A guest on each host's overlay switch (a capsule's netns). */
const guests = [`nqc-ga-${sfx}`, `nqc-gb-${sfx}`, `nqc-gc-${sfx}`] as const;
const UA = '10.119.10.1';
const UB = '10.119.10.2';
const UC = '10.119.10.3';
const ov = `q${sfx}`;
const lab = new NetnsLab();
const ips: string[] = [];
const homes: TempHome[] = [];
const call = <M extends Method>(e: Engine, m: M, input: Input<M>): Promise<Output<M>> => e.dispatcher.invoke<M>(m, input);
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
const pings = (ns: string, ip: string) => !inNs(ns, ['ping', '-c', '1', '-W', '1', ip], { allowFailure: true }).startsWith('__FAILED__');
const spec = (subnet: string, local: string, peers: string[]) => ({ type: 'overlay' as const, driver: 'quic' as const, dns: true, subnet, local, peers });

describeHost('quic overlay driver between three engines on netns hosts', { root: true, tools: ['ip', 'openssl', 'ping', 'busybox', 'dnsmasq', 'nft', '/usr/bin/cargo'] }, () => {
  let eA: Engine;
  let eB: Engine;
  let eC: Engine;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { stdio: 'ignore' });
    // The underlay: a bridge in its own namespace, one veth to each host.
    lab.add(nsU);
    sh(['ip', '-n', nsU, 'link', 'add', 'ul', 'type', 'bridge']);
    sh(['ip', '-n', nsU, 'link', 'set', 'ul', 'up']);
    for (const g of guests) lab.add(g);
    for (const [i, [ns, ip]] of ([[nsA, UA], [nsB, UB], [nsC, UC]] as const).entries()) {
      lab.add(ns);
      lab.link(nsU, `nqcu${i}${sfx}`, undefined, ns, `nqcw${sfx}`, `${ip}/24`);
      sh(['ip', '-n', nsU, 'link', 'set', `nqcu${i}${sfx}`, 'master', 'ul']);
    }
    const [hA, hB, hC] = [await tempHome('nqca-'), await tempHome('nqcb-'), await tempHome('nqcc-')];
    homes.push(hA, hB, hC);
    eA = hA.engine({ env: { ...hA.env, NOVA_NETNS: nsA } });
    eB = hB.engine({ env: { ...hB.env, NOVA_NETNS: nsB } });
    eC = hC.engine({ env: { ...hC.env, NOVA_NETNS: nsC } });
  }, 20 * 60_000);

  afterAll(async () => {
    for (const e of [eA, eB, eC]) if (e) await call(e, 'network.rm', { name: ov, force: true }).catch(() => undefined);
    // This run's tunnels carry "--net <instance>/<ov>" (ov is unique to the run): never another test's.
    lab.cleanup([`/${ov}`, nsA, nsB, nsC, ...guests, ...homes.map((h) => h.dir)]);
    for (const h of homes) await h.cleanup();
  });

  it('refuses bad peers naming the field, and creates nothing', async () => {
    const fp = 'ab'.repeat(32);
    expect(await codeOf(call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, ['zz@10.119.10.2:4433']) }))).toMatch(/INVALID_INPUT: peers\[0\].*not a SHA-256 fingerprint/);
    expect(await codeOf(call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, [`${fp}@10.119.10.2`]) }))).toMatch(/INVALID_INPUT.*no port/);
    expect(await codeOf(call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, [`${fp}@nohost.invalid:4433`]) }))).toMatch(/INVALID_INPUT: peers\[0\].*does not resolve/);
    expect(inNs(nsA, ['ip', 'link', 'show', ov], { allowFailure: true })).toMatch(/__FAILED__/);
    expect(inNs(nsA, ['ip', 'link', 'show', quicTapName(ov)], { allowFailure: true })).toMatch(/__FAILED__/);
  });

  it('joins three hosts: pinned identities, peers updated in place, ping across the mesh, Active', async () => {
    // A first without peers (its identity exists from then on), B pins A, C pins both; then A and
    // B are updated in place to pin the others.
    const a0 = await call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, []) });
    const fpA = a0.overlay?.identity ?? '';
    expect(fpA).toMatch(/^[0-9a-f]{64}$/);
    const fpB = (await call(eB, 'network.create', { name: ov, spec: spec('10.119.11.2/24', UB, [`${fpA}@${UA}:4433`]) })).overlay?.identity ?? '';
    const fpC = (await call(eC, 'network.create', { name: ov, spec: spec('10.119.11.3/24', UC, [`${fpA}@${UA}:4433`, `${fpB}@${UB}:4433`]) })).overlay?.identity ?? '';
    const a = await call(eA, 'network.update', { name: ov, spec: spec('10.119.11.1/24', UA, [`${fpB}@${UB}:4433`, `${fpC}@${UC}:4433`]) });
    await call(eB, 'network.update', { name: ov, spec: spec('10.119.11.2/24', UB, [`${fpA}@${UA}:4433`, `${fpC}@${UC}:4433`]) });
    expect(a.overlay?.identity).toBe(fpA);
    expect(a.overlay?.mtu).toBe(1419);
    expect(sh(['ip', '-n', nsA, 'link', 'show', 'master', ov])).toContain(quicTapName(ov));
    for (const [from, to] of [[nsA, '10.119.11.2'], [nsA, '10.119.11.3'], [nsB, '10.119.11.3'], [nsC, '10.119.11.1']] as const) {
      await waitFor(`${from} pings ${to} across the quic overlay`, () => pings(from, to), 30_000);
    }
    // dns = true across hosts: a guest on each host; A's guest resolves B's and C's guests by name
    // (its host's dnsmasq asks the peers' responders at their segment addresses, inside the
    // tunnel) and pings them, and the other way round.
    for (const [i, e] of [eA, eB, eC].entries()) ips.push((await call(e, 'network.attach', { network: ov, owner: { kind: 'capsule', name: `g${i}` }, netns: `/run/netns/${guests[i]}` })).ip!);
    const resolves = (g: number, name: string, gw: string) => inNs(guests[g]!, ['busybox', 'nslookup', '-type=a', `${name}.${ov}.nova`, gw], { allowFailure: true });
    for (const [from, to] of [[0, 1], [0, 2], [1, 0]] as const) {
      await waitFor(`guest ${from} resolves g${to}`, () => resolves(from, `g${to}`, `10.119.11.${from + 1}`).includes(ips[to]!), 20_000);
      await waitFor(`guest ${from} pings g${to}`, () => pings(guests[from]!, ips[to]!), 20_000);
    }
    expect(resolves(0, 'nobody', '10.119.11.1')).toMatch(/__FAILED__|can't find/);
    const info = await waitFor('A Active with B and C reachable', async () => {
      const i = await call(eA, 'network.inspect', { name: ov });
      return i.state === 'Active' && i.overlay?.peers.every((p) => p.reachable) ? i : undefined;
    }, 15_000);
    expect(info.overlay?.peers.map((p) => p.since ?? 0).every((t) => t > 0)).toBe(true);
  });

  it('a tunnel killed with -9: the peer goes Degraded, hydrate brings it back, traffic resumes', async () => {
    const ctxB = netCtx(eB);
    const pid = await tunnelPid(ctxB, ov);
    expect(pid).toBeGreaterThan(0);
    // Started by a root engine, the tunnel runs as nobody once set up.
    expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]).toBe(String(runAs()!.uid));
    process.kill(pid!, 'SIGKILL');
    const degraded = await waitFor('A Degraded with B unreachable', async () => {
      const i = await call(eA, 'network.inspect', { name: ov });
      return i.state === 'Degraded' ? i : undefined;
    }, 20_000);
    expect(degraded.reason ?? '').toMatch(/unreachable since/);
    expect(sh(['ip', '-n', nsB, 'link', 'show', 'master', ov])).toContain(quicTapName(ov)); // the TAP outlives its tunnel
    const h = await call(eB, 'network.hydrate', {});
    expect(h.repaired).toContain(ov);
    await waitFor('A pings B again', () => pings(nsA, '10.119.11.2'), 30_000);
    await waitFor('guest A resolves g1 again', () => inNs(guests[0], ['busybox', 'nslookup', '-type=a', `g1.${ov}.nova`, '10.119.11.1'], { allowFailure: true }).includes(ips[1]!), 20_000);
  });
});
