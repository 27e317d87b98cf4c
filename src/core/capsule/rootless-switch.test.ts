// An ordinary user's capsules on a Nova switch, for real: a `nova privd` started here as root (in
// a namespace this file makes, --group fallback for authorization) makes the user's NAT switch
// and plugs a veth into each capsule's netns, named by its supervisor's pid. Two capsules on the
// switch resolve each other by name through the switch's dnsmasq.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { describeHost } from '../../test/host.js';
import { freeOctets, NetnsLab, suffix } from '../../test/netns.js';
import { PrivdLab } from '../../test/privd.js';
import { createTestUser, TestUsers } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';

describeHost(
  'an ordinary user\'s capsules on a Nova switch through nova privd',
  { root: true, tools: ['ip', 'nft', 'dnsmasq', 'crun', 'newuidmap', 'newgidmap', 'nsenter', 'setpriv', 'useradd'] },
  () => {
    const sfx = suffix();
    const lab = new NetnsLab();
    const users = new TestUsers();
    const ns = `nrs-${sfx}`;
    const [octet] = freeOctets(1);
    const net = `s${sfx}`;
    let p: PrivdLab;
    let user: HomeUser;
    let home: string;
    let engine: UserEngine;
    const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
    const exec = (name: string, script: string) => call<{ exitCode: number; stdout: string; stderr: string }>('capsule.exec', { name, command: ['sh', '-c', script] });

    beforeAll(async () => {
      lab.add(ns);
      p = new PrivdLab(ns);
      const group = users.group(`nrsg${sfx}`);
      user = createTestUser('nrs');
      execFileSync('usermod', ['-aG', group, user.name]);
      await p.start(['--group', group]);
      home = mkdtempSync('/tmp/nova-rs-');
      mkdirSync(join(home, 'work'), { recursive: true });
      busyboxRootfs(join(home, 'work'));
      execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
      engine = await startUserEngine(user, { NOVA_HOME: home, NOVA_PRIVD_SOCKET: p.sock });
    }, 120_000);

    afterAll(async () => {
      if (engine) {
        for (const name of ['one', 'two']) await engine.invoke('capsule.rm', { name, force: true }).catch(() => undefined);
        await engine.invoke('network.rm', { name: net, force: true }).catch(() => undefined);
        await engine.close();
      }
      p?.stop();
      lab.cleanup(p ? [p.dir] : []);
      user?.remove();
      users.cleanup();
      p?.cleanup();
      if (home) execFileSync('rm', ['-rf', home]);
    });

    it('two capsules on the user\'s NAT switch get addresses and resolve each other by name', async () => {
      await call('network.create', { name: net, spec: { profile: 'nat', subnet: `10.213.${octet}.1/24` } });
      const started: CapsuleInfo[] = [];
      for (const name of ['one', 'two']) {
        started.push(
          await call('capsule.create', { name, baseDir: join(home, 'work'), start: true, spec: { capsule: './rootfs', runtime: 'crun', network: net, command: 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www' } }),
        );
      }
      const [one, two] = started;
      expect(one!.network?.ip?.startsWith(`10.213.${octet}.`)).toBe(true);
      expect(two!.network?.ip?.startsWith(`10.213.${octet}.`)).toBe(true);
      expect((await exec('one', 'ip -4 -o addr show dev eth0')).stdout).toContain(one!.network!.ip!);
      const looked = await exec('one', 'nslookup two');
      expect(looked.stdout).toContain(two!.network!.ip!);
      const got = await exec('one', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | timeout 5 nc two 8080`);
      expect(got.stdout).toMatch(/200 OK[\s\S]*\ntwo$/);
    }, 120_000);

    it('the helper refuses a pid the caller does not own', async () => {
      const r = await p.raw(user, { verb: 'attach.veth', input: { network: net, owner: { kind: 'capsule', name: 'x' }, pid: p.helper!.pid } });
      expect(r.error).toMatchObject({ code: 'PERMISSION' });
      expect(r.error!.message).toMatch(/not yours/);
    });
  },
);
