// QEMU started by a root engine: it drops to the run-as user inside a seccomp sandbox, and the
// files it opens later (overlays, screendumps, TPM state) belong to that user until the VM is
// deleted. Real TCG guest; the run-as user is a throwaway user (NOVA_QEMU_USER).
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { TestUsers } from '../../test/users.js';
import type { TestUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import type { Engine } from '../engine.js';
import { pidAlive } from '../sys/proc.js';
import { Reverter } from '../sys/reverter.js';
import { giveBackAll, handOver, runAsUser } from './confine.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');
const ids = (pid: number, key: 'Uid' | 'Gid') => new RegExp(`^${key}:\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)`, 'm').exec(status(pid))!.slice(1).map(Number);
const owner = (p: string) => [statSync(p).uid, statSync(p).gid];

describe('run-as user', () => {
  it('only a root engine confines its QEMU, and never as root or nobody', () => {
    expect(runAsUser({}, 1000)).toBeUndefined();
    expect(() => runAsUser({ NOVA_QEMU_USER: 'nobody' }, 0)).toThrow(/dedicated unprivileged user/);
    expect(() => runAsUser({ NOVA_QEMU_USER: 'root' }, 0)).toThrow(/dedicated unprivileged user/);
    expect(() => runAsUser({ NOVA_QEMU_USER: 'no-such-user-x' }, 0)).toThrow(/no such user/);
  });
});

describeHost('handing files to the run-as user and back', { root: true, tools: ['useradd'] }, () => {
  const users = new TestUsers();
  let u: TestUser;
  let dir: string;
  beforeAll(() => {
    u = users.add(`nvcf${process.pid % 100000}`);
    dir = mkdtempSync(join(tmpdir(), 'nova-confine-'));
  });
  afterAll(() => {
    users.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the original owner before the chown; the reverter and giveBackAll restore owner and mode', async () => {
    const [a, b, book] = [join(dir, 'a.qcow2'), join(dir, 'b.qcow2'), join(dir, 'handover.json')];
    writeFileSync(a, 'a');
    writeFileSync(b, 'b');
    chownSync(b, 12345, 23456);
    chmodSync(b, 0o640);
    const runAs = { user: u.name, uid: u.uid, gid: u.gid };

    const failed = new Reverter();
    await handOver(book, runAs, [a], failed);
    expect(owner(a)).toEqual([u.uid, u.gid]);
    await failed.fail();
    expect(owner(a)).toEqual([0, 0]);
    expect(JSON.parse(readFileSync(book, 'utf8')).items).toEqual([]);

    const kept = new Reverter();
    await handOver(book, runAs, [a, b, join(dir, 'missing')], kept);
    kept.success();
    await handOver(book, runAs, [b], new Reverter()); // again: the first record (true owner) stays
    expect([owner(a), owner(b)]).toEqual([[u.uid, u.gid], [u.uid, u.gid]]);
    expect(await giveBackAll(book)).toEqual([a, b]);
    expect([owner(a), owner(b), statSync(b).mode & 0o777]).toEqual([[0, 0], [12345, 23456], 0o640]);
  });
});

describeHost('a root-started QEMU runs confined (real TCG guest)', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'swtpm', 'useradd'] }, () => {
  const users = new TestUsers();
  let qemuUser: TestUser;
  let home: TempHome;
  let e: Engine;
  let vm: VmInfo;
  const call = <T = VmInfo>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;

  beforeAll(async () => {
    const guest = await ensureTestGuest();
    qemuUser = users.add(`nvcq${process.pid % 100000}`);
    home = await tempHome('nova-conf-');
    e = home.engine({ env: { ...home.env, NOVA_QEMU_USER: qemuUser.name } });
    const spec = { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '160Mi', cpu: 1, tpm: true, restart: 'no', disks: [{ path: join(home.dir, 'c.qcow2'), size: '64Mi' }] };
    await call('vm.create', { name: 'c', spec });
  }, 120_000);

  afterAll(async () => {
    await call('vm.destroy', { name: 'c' }).catch(() => undefined);
    if (vm?.pid && pidAlive(vm.pid)) process.kill(vm.pid, 'SIGKILL');
    await home.cleanup();
    users.cleanup();
  });

  it('QEMU and swtpm run as the run-as user inside the sandbox; its disk and TPM state are that user\'s', async () => {
    vm = await call('vm.start', { name: 'c' });
    expect(vm.state).toBe('running');
    const pid = vm.pid!;
    expect(ids(pid, 'Uid')).toEqual([qemuUser.uid, qemuUser.uid, qemuUser.uid, qemuUser.uid]);
    expect(ids(pid, 'Gid')).toEqual([qemuUser.gid, qemuUser.gid, qemuUser.gid, qemuUser.gid]);
    expect(status(pid)).toMatch(/^Seccomp:\s+2$/m);
    expect(status(pid)).toMatch(/^NoNewPrivs:\s+1$/m);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(['-sandbox', 'on,obsolete=deny,spawn=deny,resourcecontrol=deny', '-runas', qemuUser.name]));
    const l = layoutOf(e.paths, 'c');
    const swtpm = Number(readFileSync(l.swtpmPid, 'utf8'));
    expect(ids(swtpm, 'Uid')[1]).toBe(qemuUser.uid);
    expect(owner(join(home.dir, 'c.qcow2'))).toEqual([qemuUser.uid, qemuUser.gid]);
    expect(owner(l.tpmState)).toEqual([qemuUser.uid, qemuUser.gid]);
    // The definition stays root's: a compromised QEMU cannot rewrite what root starts next time.
    expect(owner(join(e.paths.data, 'vms', 'c', 'vm.json'))).toEqual([0, 0]);
    await waitFor('guest init on serial', () => readFileSync(vm.serialLog, 'utf8').includes('nova-guest: init ready'), 60_000);
  }, 120_000);

  it('live snapshot save and load, an external overlay and a screenshot work after the drop', async () => {
    await call('vm.snapshot.create', { name: 'c', tag: 'one' });
    await call('vm.snapshot.restore', { name: 'c', tag: 'one' });
    const rows = await call<{ snapshots: { tag: string; vmStateSize: number }[] }>('vm.snapshot.list', { name: 'c' });
    expect(rows.snapshots.find((r) => r.tag === 'one')?.vmStateSize).toBeGreaterThan(0);
    const ext = await call<{ overlays: string[] }>('vm.snapshot.create', { name: 'c', tag: 'ext', external: true });
    expect(ext.overlays).toHaveLength(1);
    expect(owner(ext.overlays[0]!)).toEqual([qemuUser.uid, qemuUser.gid]);
    const shot = await call<{ path: string; bytes: number }>('vm.screenshot', { name: 'c' });
    expect(shot.bytes).toBeGreaterThan(0);
    expect(owner(shot.path)).toEqual([0, 0]);
    expect((await call('vm.inspect', { name: 'c' })).state).toBe('running');
  }, 120_000);

  it('a guest that powers itself off reads as stopped, not crashed (the dropped QEMU can remove its own pidfile)', async () => {
    await waitFor('guest counter on serial', () => readFileSync(vm.serialLog, 'utf8').includes('nova-counter'), 60_000, 200);
    // Behind Nova's back (no stop marker): the guest's own clean shutdown.
    await withQmp(layoutOf(e.paths, 'c').qmp, (q) => q.execute('system_powerdown'));
    await waitFor('QEMU gone', () => !pidAlive(vm.pid!), 60_000, 200);
    expect(readFileSync(vm.serialLog, 'utf8')).toContain('reboot: Power down');
    expect(await call('vm.inspect', { name: 'c' })).toMatchObject({ state: 'stopped' });
    vm = await call('vm.start', { name: 'c' });
    expect(vm.state).toBe('running');
  }, 180_000);

  it('stop works; delete (keeping disks) gives the disk back to its owner', async () => {
    await call('vm.stop', { name: 'c', timeoutMs: 5000 });
    // This test process is QEMU's parent (Nova detached it): gone once reaped.
    await waitFor('QEMU gone', () => !pidAlive(vm.pid!), 10_000);
    const disk = join(home.dir, 'c.qcow2');
    expect(owner(disk)).toEqual([qemuUser.uid, qemuUser.gid]);
    await call('vm.delete', { name: 'c' });
    expect(owner(disk)).toEqual([0, 0]);
  }, 120_000);
});
