// The cross-area contract end to end: two real crun capsules on a Nova nat switch (the capsule
// backend creates their netns and calls network.attach), resolving and reaching each other by
// name through the switch's dnsmasq. The switch lives in a namespace this file creates.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs, pushImage, startRegistry } from '../../test/capsule-fixtures.js';
import type { Registry } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { NetnsLab, freeOctets, sh, suffix } from '../../test/netns.js';

describeHost('capsules on a Nova switch', { root: true, tools: ['crun', 'umoci', 'skopeo', 'docker-registry', 'ip', 'nft', 'dnsmasq'] }, () => {
  const sfx = suffix();
  const lab = new NetnsLab();
  const [octet] = freeOctets(1);
  const host = `nvch-${sfx}`;
  const net = `cn${sfx}`;
  const IMAGE = 'nova-test/busybox:net';
  let home: TempHome;
  let engine: Engine;
  let registry: Registry | undefined;
  const call = <T>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nvcapnet-');
    const work = join(home.dir, 'work');
    mkdirSync(work, { recursive: true });
    lab.add(host);
    registry = await startRegistry(work);
    pushImage(work, busyboxRootfs(work), registry.addr, IMAGE);
    engine = home.engine({ env: { ...home.env, NOVA_NETNS: host, NOVA_REGISTRY: registry.addr } });
  }, 120_000);

  afterAll(async () => {
    if (engine) for (const name of ['web', 'db']) await engine.dispatcher.call('capsule.rm', { name, force: true });
    if (engine) await engine.dispatcher.call('network.rm', { name: net, force: true });
    registry?.stop();
    lab.cleanup(home ? [home.dir] : []);
    await home?.cleanup();
  });

  it('capsules get their reserved addresses and reach each other by name', async () => {
    await call('network.create', { name: net, spec: { profile: 'nat', subnet: `10.213.${octet}.1/24` } });
    const forever = "trap 'exit 0' TERM; while :; do sleep 0.2; done";
    for (const name of ['web', 'db']) await call('capsule.create', { name, spec: { capsule: IMAGE, command: forever, network: net }, start: true });
    const web = await call<{ network?: { ip?: string } }>('capsule.inspect', { name: 'web' });
    expect(web.network?.ip).toMatch(new RegExp(`^10\\.213\\.${octet}\\.\\d+$`));
    const info = await call<{ attached: number; state: string }>('network.inspect', { name: net });
    expect(info).toMatchObject({ attached: 2, state: 'Active' });
    const ping = await call<{ exitCode: number; stdout: string }>('capsule.exec', { name: 'db', command: ['ping', '-c', '1', '-W', '3', 'web'] });
    expect(ping.stdout).toContain(web.network!.ip!);
    expect(ping.exitCode).toBe(0);
  }, 120_000);

  it('kill -9 at every step of `nova capsule start` on the switch, then `capsule rm`: no netns, no veth left', async () => {
    const nova = (args: string[], crashAt?: number) =>
      new Promise<{ signal: NodeJS.Signals | null; code: number | null; out: string }>((resolve) => {
        const env = { ...home.env, NOVA_NETNS: host, NOVA_REGISTRY: registry!.addr, NOVA_FROM_SOURCE: '1', ...(crashAt ? { NOVA_CRASH_AT: String(crashAt) } : {}) };
        const child = execFile(process.execPath, ['bin/nova.mjs', ...args], { env, timeout: 60_000 }, (_e, stdout, stderr) => resolve({ signal: child.signalCode, code: child.exitCode, out: `${stdout}${stderr}` }));
      });
    const leftovers = (id: string) => [
      ...(existsSync(`/run/netns/${id}`) ? [`netns ${id}`] : []),
      ...(JSON.parse(sh(['ip', '-n', host, '-j', 'link'])) as { ifname: string; ifalias?: string }[]).filter((l) => l.ifalias?.includes(':capsule:kc')).map((l) => `link ${l.ifname}`),
    ];
    const steps: string[] = [];
    for (let n = 1; n < 200; n++) {
      const rec = await call<{ id: string }>('capsule.create', { name: 'kc', spec: { capsule: IMAGE, command: "trap 'exit 0' TERM; while :; do sleep 0.2; done", network: net } });
      const run = await nova(['capsule', 'start', 'kc'], n);
      await call('capsule.rm', { name: 'kc', force: true });
      expect(leftovers(rec.id), `after a kill at "${run.out.match(/killed at (.*)/)?.[1]}" and capsule rm`).toEqual([]);
      if (run.signal !== 'SIGKILL') {
        expect(run.code, run.out).toBe(0);
        break;
      }
      steps.push(run.out.match(/killed at (.*)/)?.[1] ?? '?');
    }
    console.log(`capsule start killed at ${steps.length} steps: ${steps.join(' | ')}`);
    expect(steps.join('\n')).toMatch(/capsule kc: netns made[\s\S]*net attach capsule kc: intent recorded[\s\S]*peer moved into the netns[\s\S]*state saved/);
    const info = await call<{ attachments: { owner: { name: string } }[] }>('network.inspect', { name: net });
    expect(info.attachments.filter((a) => a.owner.name === 'kc')).toEqual([]);
  }, 900_000);
});
