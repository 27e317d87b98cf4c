// The guest agent on real TCG guests run by an ordinary user's engine: the test guest starts
// Debian's qemu-ga on org.qemu.guest_agent.0. Inspect shows its OS, hostname and addresses;
// vm.exec returns output and exit code; a live snapshot freezes the guest's filesystems (the
// guest's fsfreeze hook writes to its serial log) and says so; stop goes through guest-shutdown.
// `nova console vm --serial` types into the guest's shell. A guest without the agent (nova.noqga) degrades: "no guest agent", exec CONFLICT, ACPI stop.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import type { TestGuest } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine, userGuestHome } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';

const NOVA_BIN = join(import.meta.dirname, '../../../bin/nova.mjs');
type Stopped = VmInfo & { stoppedBy?: string };
type Snap = { consistency?: string; fsFreeze?: { frozen: boolean; filesystems?: number; reason?: string } };

describeHost('guest agent on a real TCG guest, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'qemu-ga', 'apt-get', 'cpio', 'setpriv', 'useradd'] }, () => {
  let guest: TestGuest;
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
  const serial = (v: VmInfo) => readFileSync(v.serialLog, 'utf8');
  const spec = (name: string, extra: string) => ({
    kernel: guest.kernel, initrd: guest.initrd, cmdline: `${TEST_GUEST_CMDLINE} ${extra}`, memory: '192Mi', cpu: 1, network: 'user',
    disks: [{ path: join(home, `${name}.qcow2`), size: '64Mi' }],
  });

  beforeAll(async () => {
    guest = await ensureTestGuest();
    user = createTestUser('nga');
    home = userGuestHome(user, '/tmp/nova-ga-');
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 300_000);

  afterAll(async () => {
    if (engine) {
      for (const n of ['ga', 'nga']) await call('vm.destroy', { name: n }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('reports the guest, runs commands, freezes for snapshots and shuts down through the agent', async () => {
    await call('vm.create', { name: 'ga', spec: spec('ga', 'nova.datafs=vda') });
    const started = await call('vm.start', { name: 'ga' });
    expect(started.pid && Number(readFileSync(`/proc/${started.pid}/status`, 'utf8').match(/^Uid:\s+(\d+)/m)?.[1])).toBe(user.uid);
    const v = await waitFor('the guest agent with an address on eth0', async () => {
      const i = await call('vm.inspect', { name: 'ga' });
      return i.guest?.agent && i.guest.interfaces?.some((n) => n.addresses.length) ? i : undefined;
    }, 120_000, 1000);
    if (!v.guest?.agent) throw new Error('unreachable');
    expect(v.guest.os).toBe('Nova test guest (Debian 12 kernel, busybox)');
    expect(v.guest.hostname).toBe('nova-guest');
    expect(v.guest.interfaces).toContainEqual({ name: 'eth0', mac: v.mac, addresses: expect.arrayContaining(['10.0.2.15/24']) });
    // The guest's own memory use: balloon statistics once polling runs (the first inspect started it).
    const mem = await waitFor('balloon statistics', async () => (await call('vm.inspect', { name: 'ga' })).guestMemory, 30_000, 1000);
    expect(mem).toMatchObject({ source: 'balloon', totalBytes: expect.any(Number) });
    expect(mem.totalBytes).toBeGreaterThan(100 * 1024 ** 2);
    expect(mem.totalBytes).toBeLessThanOrEqual(192 * 1024 ** 2);
    expect(mem.usedBytes).toBeGreaterThan(0);

    const r = await call<{ exitCode: number; stdout: string; stderr: string }>('vm.exec', { name: 'ga', command: ['sh', '-c', 'cat /proc/sys/kernel/hostname; echo oops >&2; exit 3'] });
    expect(r).toMatchObject({ exitCode: 3, stdout: 'nova-guest\n', stderr: 'oops\n' });
    const data = await call<{ exitCode: number; stdout: string }>('vm.exec', { name: 'ga', command: ['sh', '-c', 'echo kept > /data/f && sync && cat /data/f'] });
    expect(data).toMatchObject({ exitCode: 0, stdout: 'kept\n' });

    const snap = await call<Snap>('vm.snapshot.create', { name: 'ga', tag: 'frozen' });
    expect(snap).toMatchObject({ consistency: 'filesystem', fsFreeze: { frozen: true, filesystems: 1 } });
    expect(serial(v)).toMatch(/nova-guest: fsfreeze freeze[\s\S]*nova-guest: fsfreeze thaw/);
    // The restored RAM is that of a frozen guest: Nova thaws it, /data takes writes again.
    await call('vm.snapshot.restore', { name: 'ga', tag: 'frozen' });
    const after = await call<{ exitCode: number; stdout: string }>('vm.exec', { name: 'ga', command: ['sh', '-c', 'echo again > /data/g && cat /data/g'], timeoutMs: 20_000 });
    expect(after).toMatchObject({ exitCode: 0, stdout: 'again\n' });

    // `nova console vm ga --serial` as the user: a typed command runs in the guest's shell.
    const cli = spawn(user.as[0]!, [...user.as.slice(1), process.execPath, NOVA_BIN, 'console', 'vm', 'ga', '--serial'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: user.home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1' }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    cli.stdout.on('data', (b: Buffer) => (out += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    await waitFor('the console attached', () => err.includes('Connected to the serial console of ga'), 60_000, 100);
    cli.stdin.write('echo $((6*7))-from-the-console\n');
    await waitFor('the shell\'s answer', () => out.includes('42-from-the-console'), 30_000, 100);
    cli.stdin.write('\x1d');
    expect(await exited).toBe(0);
    expect(err).toContain('Left the serial console of ga (the VM keeps running)');

    const stopped = await call<Stopped>('vm.stop', { name: 'ga' });
    expect(stopped).toMatchObject({ state: 'stopped', stoppedBy: 'guest-agent' });
    expect(serial(v)).toMatch(/nova-guest: shutdown .*-P \+0 .*\(guest agent\)/);
  }, 400_000);

  it('degrades clearly without an agent: says why, refuses exec, stops through ACPI', async () => {
    await call('vm.create', { name: 'nga', spec: spec('nga', 'nova.noqga') });
    await call('vm.start', { name: 'nga' });
    await waitFor('the guest booted', async () => /nova-counter 1/.test(serial(await call('vm.inspect', { name: 'nga' }))), 120_000, 500);
    const v = await call('vm.inspect', { name: 'nga' });
    expect(v.guest).toEqual({ agent: false, reason: expect.stringMatching(/^no guest agent: nothing in the guest opened org\.qemu\.guest_agent\.0/) });
    await expect(call('vm.exec', { name: 'nga', command: ['true'] })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/no guest agent/) });
    const snap = await call<Snap>('vm.snapshot.create', { name: 'nga', tag: 'plain' });
    expect(snap).toMatchObject({ consistency: 'crash', fsFreeze: { frozen: false, reason: expect.stringMatching(/no guest agent/) } });
    const stopped = await call<Stopped>('vm.stop', { name: 'nga' });
    expect(stopped).toMatchObject({ state: 'stopped', stoppedBy: 'acpi' });
    expect(serial(v)).toMatch(/acpi power button/);
  }, 300_000);
});
