// A VM on a Nova network: the networks backend makes the TAP (inside a namespace this test
// owns, via NOVA_NETNS), the guest gets its DHCP lease from the network's dnsmasq and answers
// pings from the bridge; deleting the VM detaches it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { NetnsLab, freeOctets, inNs, suffix } from '../../test/netns.js';
import { waitFor } from '../../test/wait.js';

describeHost('VM on a Nova network (TAP)', { root: true, tools: ['qemu-system-x86_64', 'ip', 'nft', 'dnsmasq', 'busybox'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const ns = `nvvm-${sfx}`;
  const net = `v${sfx}`;
  const [o] = freeOctets(1);
  let home: TempHome;
  let e: Engine;
  const call = <T = VmInfo>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nova-vmtap-');
    lab.add(ns);
    e = home.engine({ env: { ...home.env, NOVA_NETNS: ns, NOVA_NFT_TABLE: `nova_${sfx}` } });
  });
  afterAll(async () => {
    await call('vm.destroy', { name: 'tg' }).catch(() => undefined);
    await call('network.rm', { name: net }).catch(() => undefined);
    lab.cleanup([home.dir]);
    await home.cleanup();
  });

  it('attaches a TAP, the guest leases an address and answers a ping; delete detaches', async () => {
    const guest = await ensureTestGuest();
    await call('network.create', { name: net, spec: { profile: 'isolated', subnet: `10.213.${o}.1/24`, dhcp_range: `10.213.${o}.50-10.213.${o}.99` } });
    await call('vm.create', { name: 'tg', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: net } });
    const v = await call('vm.start', { name: 'tg' });
    expect(v.state).toBe('running');
    expect(v.nic.kind).toBe('tap');
    const lease = await waitFor('DHCP lease in the guest', () => /nova-net: eth0 (10\.213\.\d+\.\d+)\//.exec(readFileSync(v.serialLog, 'utf8'))?.[1], 60_000, 250);
    expect(lease.startsWith(`10.213.${o}.`)).toBe(true);
    expect(inNs(ns, ['busybox', 'ping', '-c', '1', '-W', '3', lease])).toMatch(/[^0-9]0% packet loss/);
    const r = await call<{ deleted: boolean }>('vm.delete', { name: 'tg' });
    expect(r.deleted).toBe(true);
    expect(inNs(ns, ['ip', '-j', 'link'])).not.toContain(`"ifname":"${v.nic.ifname}"`);
  }, 120_000);
});
