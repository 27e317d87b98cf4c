// driver = "quic" through two engines, each in its own network namespace ("host") on a veth
// underlay: bad peer specs create nothing; the overlays' bridges ping each other across the
// tunnel; the identity `network.inspect` shows is what the other host pins; a tunnel killed with
// -9 leaves the TAP on the bridge, the peer's overlay goes Degraded (unreachable since …), and
// hydrate restarts it so traffic resumes.
import { execFileSync } from 'node:child_process';
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
import { tunnelPid } from './process.js';

const root = join(import.meta.dirname, '..', '..', '..', '..', '..');
const sfx = suffix();
const nsA = `nqc-da-${sfx}`;
const nsB = `nqc-db-${sfx}`;
const UA = '10.119.10.1';
const UB = '10.119.10.2';
const ov = `q${sfx}`;
const lab = new NetnsLab();
const homes: TempHome[] = [];
const call = <M extends Method>(e: Engine, m: M, input: Input<M>): Promise<Output<M>> => e.dispatcher.invoke<M>(m, input);
const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);
const pings = (ns: string, ip: string) => !inNs(ns, ['ping', '-c', '1', '-W', '1', ip], { allowFailure: true }).startsWith('__FAILED__');
const spec = (subnet: string, local: string, peers: string[]) => ({ type: 'overlay' as const, driver: 'quic' as const, dns: false, subnet, local, peers });

describeHost('quic overlay driver between two engines on netns hosts', { root: true, tools: ['ip', 'openssl', 'ping', 'dnsmasq', 'nft', '/usr/bin/cargo'] }, () => {
  let eA: Engine;
  let eB: Engine;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], { stdio: 'ignore' });
    lab.add(nsA);
    lab.add(nsB);
    lab.link(nsA, `nqcw${sfx}`, `${UA}/24`, nsB, `nqcx${sfx}`, `${UB}/24`);
    const [hA, hB] = [await tempHome('nqca-'), await tempHome('nqcb-')];
    homes.push(hA, hB);
    eA = hA.engine({ env: { ...hA.env, NOVA_NETNS: nsA } });
    eB = hB.engine({ env: { ...hB.env, NOVA_NETNS: nsB } });
  }, 20 * 60_000);

  afterAll(async () => {
    for (const e of [eA, eB]) if (e) await call(e, 'network.rm', { name: ov, force: true }).catch(() => undefined);
    lab.cleanup(['nova-quic-tunnel', nsA, nsB, ...homes.map((h) => h.dir)]);
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

  it('joins two hosts: pinned identities, ping across, Active with reachable peers', async () => {
    // A first without peers (its identity exists from then on), B pins A, A is recreated pinning B.
    const a0 = await call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, []) });
    const fpA = a0.overlay?.identity ?? '';
    expect(fpA).toMatch(/^[0-9a-f]{64}$/);
    const b = await call(eB, 'network.create', { name: ov, spec: spec('10.119.11.2/24', UB, [`${fpA}@${UA}:4433`]) });
    const fpB = b.overlay?.identity ?? '';
    await call(eA, 'network.rm', { name: ov });
    const a = await call(eA, 'network.create', { name: ov, spec: spec('10.119.11.1/24', UA, [`${fpB}@${UB}:4433`]) });
    expect(a.overlay?.identity).toBe(fpA); // the key stayed across rm
    expect(a.overlay?.mtu).toBe(1420);
    expect(sh(['ip', '-n', nsA, 'link', 'show', 'master', ov])).toContain(quicTapName(ov));
    await waitFor('A pings B across the quic overlay', () => pings(nsA, '10.119.11.2'), 30_000);
    const info = await waitFor('A Active with B reachable', async () => {
      const i = await call(eA, 'network.inspect', { name: ov });
      return i.state === 'Active' && i.overlay?.peers[0]?.reachable ? i : undefined;
    }, 15_000);
    expect(info.overlay?.peers[0]?.since).toBeGreaterThan(0);
  });

  it('a tunnel killed with -9: the peer goes Degraded, hydrate brings it back, traffic resumes', async () => {
    const ctxB = netCtx(eB);
    const pid = await tunnelPid(ctxB, ov);
    expect(pid).toBeGreaterThan(0);
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
  });
});
