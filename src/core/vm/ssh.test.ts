// `nova vm ssh` as an ordinary user (a user's engine, QEMU as that user, user-mode NIC with a
// forward to port 22): the seed carries the user's own Nova client key and a host key pinned in the
// VM's known_hosts, all owner-only files; the argv uses them with StrictHostKeyChecking=yes. The
// mistakes name the field and the fix. (The login itself, on a real cloud-init guest, is
// cloud-guest.test.ts.)
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine, userGuestHome } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';

describeHost('nova vm ssh as an ordinary user (TCG guest, user-mode NIC)', { root: true, tools: ['qemu-system-x86_64', 'setpriv', 'useradd', 'ssh', 'ssh-keygen', 'xorriso'] }, () => {
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  type Ssh = { argv: string[]; user: string; address: string; port: number; via: string; pinned: boolean };
  const port = 20000 + Math.floor(Math.random() * 20000);

  beforeAll(async () => {
    await ensureTestGuest();
    user = createTestUser('npv');
    home = userGuestHome(user, '/tmp/npv-ssh-');
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 120_000);
  afterAll(async () => {
    if (engine) {
      for (const n of ['s1', 's2']) await call('vm.destroy', { name: n }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('builds the ssh argv with the injected key and the pinned host key; refuses what cannot work', async () => {
    const guest = await ensureTestGuest();
    const base = { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1 };
    await call('vm.create', { name: 's1', spec: { ...base, network: 'user', ports: [`127.0.0.1:${port}:22`], cloud_init: { user: 'dev' } } });
    await expect(call('vm.ssh', { name: 's1' })).rejects.toThrow(/VM s1 is stopped: start it first/);
    const v = await call('vm.start', { name: 's1' });
    expect(v.state).toBe('running');
    const t = await call<Ssh>('vm.ssh', { name: 's1', command: ['uptime'] });
    expect(t).toMatchObject({ user: 'dev', address: '127.0.0.1', port, via: 'port-forward', pinned: true });
    const key = join(home, 'data', 'ssh', 'id_ed25519');
    const kh = join(home, 'data', 'vms', 's1', 'ssh', 'known_hosts');
    expect(t.argv).toEqual([
      expect.stringMatching(/\/ssh$/), '-i', key, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes',
      '-o', 'HostKeyAlias=nova-vm-s1', '-o', 'ConnectTimeout=15', '-p', String(port), '-l', 'dev', '--', '127.0.0.1', 'uptime',
    ]);
    // The user's own files, owner-only: the client key, the guest's host key, the seed.
    for (const f of [key, join(home, 'data', 'vms', 's1', 'ssh', 'ssh_host_ed25519_key'), join(home, 'data', 'vms', 's1', 'cloud-init', 'seed.iso')]) {
      const st = statSync(f);
      expect([f, st.uid, st.mode & 0o777]).toEqual([f, user.uid, 0o600]);
    }
    // known_hosts pins the host key the seed carries, under the alias.
    const hostPub = readFileSync(join(home, 'data', 'vms', 's1', 'ssh', 'ssh_host_ed25519_key.pub'), 'utf8').split(' ');
    expect(readFileSync(kh, 'utf8')).toBe(`nova-vm-s1 ${hostPub[0]} ${hostPub[1]}\n`);
    const out = join(home, 'user-data.out');
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', join(home, 'data', 'vms', 's1', 'cloud-init', 'seed.iso'), '-extract', '/user-data', out], { stdio: 'ignore' });
    const seed = readFileSync(out, 'utf8');
    expect(seed).toContain(readFileSync(`${key}.pub`, 'utf8').trim());
    expect(seed).toContain(`ed25519_public: "${hostPub[0]} ${hostPub[1]}`);

    // No forward to 22 on a user-mode NIC; no user to log in as.
    await call('vm.create', { name: 's2', spec: { ...base, network: 'user' } });
    await call('vm.start', { name: 's2' });
    await expect(call('vm.ssh', { name: 's2', user: 'dev' })).rejects.toThrow(/without a forward to port 22: add ports = \["2222:22"\]/);
    await expect(call('vm.ssh', { name: 's2' })).rejects.toThrow(/say who to log in as: nova vm ssh s2 --user USER/);
  }, 240_000);
});
