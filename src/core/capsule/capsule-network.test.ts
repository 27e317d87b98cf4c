// A capsule on a Nova network: its own netns, a veth from the networks backend with a static
// address, resolv.conf pointing at the switch's dnsmasq. The "host" side lives in a netns the
// test creates (NOVA_NETNS), so nothing touches the machine's own interfaces.
import { mkdirSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { freeOctets, inNs, NetnsLab, suffix } from '../../test/netns.js';

describeHost('capsule on a Nova network', { root: true, tools: ['crun', 'ip', 'dnsmasq', 'nft', 'nsenter'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const [o1] = freeOctets(1);
  const hostNs = `nch-${sfx}`;
  const net = `c${sfx}`;
  let home: TempHome;
  let engine: Engine;
  let rootfs: string;
  const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nova-capnet-');
    mkdirSync(join(home.dir, 'work'), { recursive: true });
    rootfs = busyboxRootfs(join(home.dir, 'work'));
    lab.add(hostNs);
    engine = home.engine({ env: { ...home.env, NOVA_NETNS: hostNs } });
    await call('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.213.${o1}.1/24`, domain: 'caplab' } });
  });

  afterAll(async () => {
    if (engine) {
      await engine.dispatcher.call('capsule.rm', { name: 'netted', force: true });
      await engine.dispatcher.call('network.rm', { name: net });
    }
    lab.cleanup(home ? [home.dir] : []);
    await home?.cleanup();
  });

  it('gets a veth with a static address, loopback, and the switch as DNS', async () => {
    const c = await call('capsule.create', { name: 'netted', spec: { capsule: rootfs, network: net, command: ['sh', '-c', 'while :; do sleep 1; done'] }, start: true });
    expect(c.network?.ip).toMatch(new RegExp(`^10\\.213\\.${o1}\\.\\d+$`));
    const exec = (...command: string[]) => call<{ exitCode: number; stdout: string }>('capsule.exec', { name: 'netted', command });
    expect((await exec('ip', '-o', '-4', 'addr')).stdout).toContain(`${c.network!.ip}/24`);
    const resolv = (await exec('cat', '/etc/resolv.conf')).stdout;
    expect(resolv).toContain(`nameserver 10.213.${o1}.1`);
    expect(resolv).toContain('search caplab');
    expect((await exec('ping', '-c', '1', '-W', '2', `10.213.${o1}.1`)).exitCode).toBe(0);
    // The host side (here: the test's netns) reaches the capsule.
    expect(inNs(hostNs, ['busybox', 'ping', '-c', '1', '-W', '2', c.network!.ip!])).toMatch(/1 (packets )?received/);
    // Restart keeps the address (static lease per owner).
    const again = await call('capsule.restart', { name: 'netted', timeout: 0 });
    expect(again.network?.ip).toBe(c.network!.ip);
    await call('capsule.rm', { name: 'netted', force: true });
    expect(existsSync(c.network!.netns)).toBe(false);
  });
});
