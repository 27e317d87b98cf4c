// Hostile values never reach dnsmasq, nft or ip; a change the host refuses is not saved; hydrate
// repairs every switch it can and reports the rest. Real bridges and dnsmasq inside a namespace
// this file creates (the engine runs with NOVA_NETNS).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { netCtx } from './context.js';
import { dnsmasqDir } from './dnsmasq.js';
import type { Input, Method } from '../../shared/contract.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { NetnsLab, freeOctets, inNs, sh, suffix } from '../../test/netns.js';

const codeOf = async (p: Promise<unknown>) => p.then(() => 'OK', (e: { code?: string; message?: string }) => `${e.code}: ${e.message}`);

describe('values refused before any tool sees them (input validation, any user)', () => {
  let home: TempHome;
  let engine: Engine;
  beforeAll(async () => {
    home = await tempHome('nvval-');
    engine = home.engine();
  });
  afterAll(async () => home?.cleanup());
  const call = (m: Method, input: unknown) => codeOf(engine.dispatcher.invoke(m, input));

  it('names the field and the fix', async () => {
    const cases: [Method, unknown, RegExp][] = [
      ['network.dns.add', { network: 'lab', record: { name: 'web', service: '_http._tcp', port: 80, target: 'x,1,2,3,4' } }, /^INVALID_INPUT: network\.dns\.add: invalid record\.target: write a DNS name like "web\.lab\.nova"/],
      ['network.attach', { network: 'lab', owner: { kind: 'vm', name: 'a' }, mac: '01:00:5e:00:00:01' }, /invalid mac: that is a multicast MAC .* write a unicast MAC/],
      ['network.attach', { network: 'lab', owner: { kind: 'vm', name: 'a' }, mac: 'ff:ff:ff:ff:ff:ff' }, /invalid mac: that is a multicast MAC/],
      ['network.forward.add', { network: 'lab', owner: { kind: 'vm', name: 'a' }, port: '999.1.1.1:8080:80' }, /invalid port: "999\.1\.1\.1" is not an IPv4 address: write the host address like "127\.0\.0\.1:8080:80"/],
      ['network.forward.add', { network: 'lab', owner: { kind: 'vm', name: 'a' }, port: '239.1.1.1:8080:80' }, /invalid port: 239\.1\.1\.1 is a multicast/],
      ['network.create', { name: 'lab', spec: { subnet: '127.0.5.1/24' } }, /invalid spec\.subnet: 127\.0\.5\.1\/24 is in loopback \(127\.0\.0\.0\/8\): pick a private range/],
      ['network.create', { name: 'lab', spec: { subnet: '0.1.2.1/24' } }, /invalid spec\.subnet: .* this-network/],
      ['network.create', { name: 'lab', spec: { subnet: '224.0.0.1/24' } }, /invalid spec\.subnet: .* multicast/],
      ['network.create', { name: 'lab', spec: { subnet: '240.0.0.1/24' } }, /invalid spec\.subnet: .* reserved/],
      ['network.create', { name: 'lab', spec: { subnet: '169.254.3.1/24' } }, /invalid spec\.subnet: .* link-local/],
      ['network.create', { name: 'lab', spec: { domain: 'a,b' } }, /invalid spec\.domain: write a DNS name/],
      ['vm.create', { name: 'v', spec: { kernel: '/k', mac: '03:00:00:00:00:01' } }, /invalid spec\.mac: that is a multicast MAC/],
    ];
    for (const [m, input, want] of cases) expect(await call(m, input), `${m} ${JSON.stringify(input)}`).toMatch(want);
    // The good forms still pass validation (they fail later only because nothing exists here).
    expect(await call('network.dns.add', { network: 'lab', record: { name: 'web', service: '_http._tcp', port: 80, target: 'web.lab.nova' } })).not.toMatch(/INVALID_INPUT/);
    expect(await call('network.forward.add', { network: 'lab', owner: { kind: 'vm', name: 'a' }, port: '127.0.0.1:8080:80' })).not.toMatch(/INVALID_INPUT/);
  });
});

describeHost('switches survive hostile DNS records', { root: true, tools: ['ip', 'nft', 'dnsmasq', 'busybox'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const [oa, ob] = freeOctets(2);
  const host = `nvv-${sfx}`;
  const a = `va${sfx}`;
  const b = `vb${sfx}`;
  let home: TempHome;
  let engine: Engine;
  const call = <M extends Method>(m: M, input: Input<M>) => engine.dispatcher.invoke<M>(m, input);
  const pidOf = (net: string) => Number(readFileSync(join(dnsmasqDir(netCtx(engine), net), 'dnsmasq.pid'), 'utf8'));
  const alive = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dnsmasq');
    } catch {
      return false;
    }
  };
  const saved = (net: string) => JSON.parse(readFileSync(join(home.dir, 'data', 'networks', `${net}.json`), 'utf8')) as { records: unknown[] };

  beforeAll(async () => {
    home = await tempHome('nvvalh-');
    lab.add(host);
    engine = home.engine({ env: { ...home.env, NOVA_NETNS: host, NOVA_NFT_TABLE: 'nova' } });
    await call('network.create', { name: a, spec: { profile: 'isolated', subnet: `10.213.${oa}.1/24` } });
    await call('network.create', { name: b, spec: { profile: 'isolated', subnet: `10.213.${ob}.1/24` } });
  });
  afterAll(async () => {
    lab.cleanup(home ? [home.dir] : []);
    await home?.cleanup();
  });

  it('the attack record is refused; the switch and its dnsmasq stay as they were', async () => {
    const pid = pidOf(a);
    const got = await codeOf(call('network.dns.add', { network: a, record: { name: 'web', service: '_http._tcp', port: 80, target: 'x,1,2,3,4' } }));
    expect(got).toMatch(/^INVALID_INPUT: .*record\.target/);
    expect(saved(a).records).toEqual([]);
    expect(alive(pid)).toBe(true);
    expect((await call('network.inspect', { name: a })).state).toBe('Active');
  });

  it('a record dnsmasq cannot take is not saved', async () => {
    // The bridge is gone, so a restarted dnsmasq cannot bind: the host refuses the change.
    sh(['ip', '-n', host, 'link', 'del', a]);
    const got = await codeOf(call('network.dns.add', { network: a, record: { name: 'web', service: '_http._tcp', port: 80, target: `web.${a}.nova` } }));
    expect(got).toMatch(/^INTERNAL: dnsmasq of network "\w+" did not accept the change, nothing was saved/);
    expect(saved(a).records).toEqual([]);
    await call('network.hydrate', {});
    expect((await call('network.inspect', { name: a })).state).toBe('Active');
  });

  it('hydrate repairs every switch it can and reports the one it cannot', async () => {
    // What today's attack leaves behind: a saved SRV record with a comma, both dnsmasqs dead.
    const file = join(home.dir, 'data', 'networks', `${a}.json`);
    const st = JSON.parse(readFileSync(file, 'utf8')) as { records: unknown[] };
    st.records = [{ name: 'web', service: '_http._tcp', port: 80, target: 'x,1,2,3,4' }];
    writeFileSync(file, JSON.stringify(st));
    for (const n of [a, b]) process.kill(pidOf(n), 'SIGKILL');
    inNs(host, ['nft', 'flush', 'table', 'ip', 'nova']);

    const r = await call('network.hydrate', {});
    expect(r.failed).toEqual([{ name: a, reason: expect.stringMatching(/saved records\.0\.target is invalid: .*nova net dns rm/) }]);
    expect(r.repaired).toContain(`${b} dnsmasq`);
    expect((await call('network.inspect', { name: b })).state).toBe('Active');
    const ia = await call('network.inspect', { name: a });
    expect(ia).toMatchObject({ state: 'Degraded', reason: expect.stringMatching(/saved records\.0\.target is invalid/) });

    // The fix the report names works, and the next hydrate brings the switch back.
    await call('network.dns.rm', { network: a, name: 'web' });
    const again = await call('network.hydrate', {});
    expect(again.failed).toEqual([]);
    expect((await call('network.inspect', { name: a })).state).toBe('Active');
  });

  it("removing the last switch leaves no dnsmasq folder behind, not even the engine's own", async () => {
    const instance = dirname(dnsmasqDir(netCtx(engine), a));
    expect(instance.startsWith('/run/nova/dnsmasq/')).toBe(true);
    await call('network.rm', { name: a });
    expect(existsSync(instance)).toBe(true); // b still uses it
    await call('network.rm', { name: b });
    expect(existsSync(instance)).toBe(false);
  });
});
