// Shared folders on a real TCG guest run by an ordinary user's engine. virtiofs: Nova starts
// Debian's virtiofsd as that user (its socket from systemd-socket-activate, its sandbox in a user
// namespace of its own), the guest mounts the share with the command inspect shows, reads a file
// written on the host, and a file it writes is the user's on the host. 9p (a read-only share and
// a read-write one with driver = "9p", the fallback where virtiofsd cannot run): QEMU serves it
// itself; the guest runs on Debian's generic kernel (the cloud kernel has no 9p) and mounts both
// with inspect's commands. While the virtiofs share is there, a snapshot with RAM and a live
// migration are refused up front, naming the share (QEMU cannot save vhost-user-fs state).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE, TEST_GUEST_DIR } from '../../test/guest.js';
import type { TestGuest } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { resolvePaths } from '../sys/paths.js';
import { queryPci } from './qmp/hotplug.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

describeHost('shared folders (virtiofs, 9p) on a real TCG guest, as an ordinary user', { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'qemu-ga', 'systemd-socket-activate', 'unshare', 'setpriv', 'useradd'], files: ['/usr/lib/qemu/virtiofsd'] }, () => {
  let guest: TestGuest;
  let user: HomeUser;
  let home: string;
  let engine: UserEngine;
  const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);

  beforeAll(async () => {
    guest = await ensureTestGuest('generic');
    user = createTestUser('nfs');
    home = mkdtempSync('/tmp/nova-fs-');
    mkdirSync(join(home, 'config'));
    mkdirSync(join(home, 'src'));
    mkdirSync(join(home, 'docs'));
    mkdirSync(join(home, 'nine'));
    writeFileSync(join(home, 'docs', 'readme'), 'read-only-doc\n');
    writeFileSync(join(home, 'src', 'hello'), 'from-host\n');
    writeFileSync(join(home, 'config', 'prefs.json'), JSON.stringify({ allowedRoots: [TEST_GUEST_DIR, home] }), { mode: 0o600 });
    execFileSync('chown', ['-R', `${user.uid}:${user.gid}`, home]);
    engine = await startUserEngine(user, { NOVA_HOME: home });
  }, 300_000);

  afterAll(async () => {
    if (engine) {
      await call('vm.destroy', { name: 'fs' }).catch(() => undefined);
      await engine.close();
    }
    user?.remove();
    if (home && !process.env.NGU_KEEP) rmSync(home, { recursive: true, force: true });
  });

  it('virtiofs and 9p both ways in the guest (as the user); a RAM snapshot or migration with virtiofs is refused naming the share', async () => {
    await call('vm.create', {
      name: 'fs',
      spec: {
        kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '192Mi', cpu: 1, network: 'none',
        disks: [{ path: join(home, 'd.qcow2'), size: '16Mi' }],
        shares: [{ host: join(home, 'src'), tag: 'src' }, { host: join(home, 'docs'), tag: 'docs', readonly: true }, { host: join(home, 'nine'), tag: 'nine', driver: '9p' }],
      },
    });
    const v = await call('vm.start', { name: 'fs' });
    expect(v.shares).toEqual([
      { tag: 'src', host: join(home, 'src'), readonly: false, driver: 'virtiofs', mount: 'mkdir -p /mnt/src && mount -t virtiofs src /mnt/src' },
      {
        tag: 'docs', host: join(home, 'docs'), readonly: true, driver: '9p', reason: expect.stringMatching(/^read-only/),
        mount: 'mkdir -p /mnt/docs && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro docs /mnt/docs',
      },
      { tag: 'nine', host: join(home, 'nine'), readonly: false, driver: '9p', reason: 'driver = "9p"', mount: 'mkdir -p /mnt/nine && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 nine /mnt/nine' },
    ]);
    // virtiofsd runs as the user, not root.
    const rt = JSON.parse(readFileSync(layoutOf(resolvePaths({ NOVA_HOME: home }), 'fs').runtimeInfo, 'utf8')) as { virtiofsd: Record<string, number> };
    const vfs = rt.virtiofsd.src!;
    expect(readFileSync(`/proc/${vfs}/cmdline`, 'utf8')).toContain('virtiofsd');
    expect(uidOf(vfs)).toBe(user.uid);

    await waitFor('the guest agent', async () => ((await call('vm.inspect', { name: 'fs' })).guest?.agent ? true : undefined), 180_000, 1000);
    const r = await call<{ exitCode: number; stdout: string; stderr: string }>('vm.exec', {
      name: 'fs', command: ['sh', '-c', `${v.shares![0]!.mount} && cat /mnt/src/hello && echo from-guest > /mnt/src/back && sync`], timeoutMs: 60_000,
    });
    expect(r, r.stderr).toMatchObject({ exitCode: 0, stdout: 'from-host\n' });
    expect(readFileSync(join(home, 'src', 'back'), 'utf8')).toBe('from-guest\n');
    expect(statSync(join(home, 'src', 'back')).uid).toBe(user.uid);
    // A change on the host shows in the guest without a remount (cache=auto: attributes are cached for 1 s).
    writeFileSync(join(home, 'src', 'hello'), 'changed-on-host\n');
    await waitFor('the host\'s change in the guest', async () => (await call<{ stdout: string }>('vm.exec', { name: 'fs', command: ['cat', '/mnt/src/hello'] })).stdout === 'changed-on-host\n', 10_000, 250);

    // 9p: QEMU's virtio-9p device (1af4:1009) carries the docs and nine shares.
    const pci = await withQmp(layoutOf(resolvePaths({ NOVA_HOME: home }), 'fs').qmp, queryPci);
    expect(pci.filter((d) => /^fs\d-dev$/.test(d.qdev_id)).map((d) => `${d.qdev_id} ${d.id?.vendor.toString(16)}:${d.id?.device.toString(16)}`).sort())
      .toEqual(['fs0-dev 1af4:105a', 'fs1-dev 1af4:1009', 'fs2-dev 1af4:1009']);
    // The guest mounts both 9p shares: reads the read-only one (and cannot write it), writes the other.
    const nine = await call<{ exitCode: number; stdout: string; stderr: string }>('vm.exec', {
      name: 'fs', timeoutMs: 60_000,
      command: ['sh', '-c', `${v.shares![1]!.mount} && ${v.shares![2]!.mount} && cat /mnt/docs/readme && (echo x > /mnt/docs/nope 2>/dev/null && echo WROTE-RO || echo ro-refused) && echo from-guest-9p > /mnt/nine/back && sync && grep ' 9p ' /proc/mounts | cut -d' ' -f1-3`],
    });
    expect(nine, nine.stderr).toMatchObject({ exitCode: 0, stdout: 'read-only-doc\nro-refused\ndocs /mnt/docs 9p\nnine /mnt/nine 9p\n' });
    expect(existsSync(join(home, 'docs', 'nope'))).toBe(false);
    expect(readFileSync(join(home, 'nine', 'back'), 'utf8')).toBe('from-guest-9p\n');
    expect(statSync(join(home, 'nine', 'back')).uid).toBe(user.uid);
    // Saving RAM or migrating with the virtiofs share: refused up front, naming the share and the fix.
    const refused = async (m: string, input: unknown) => engine.invoke(m, input).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    const snap = await refused('vm.snapshot.create', { name: 'fs', tag: 'withram' });
    expect(snap?.code).toBe('CONFLICT');
    expect(snap?.message).toMatch(/virtiofs shared folder "src" \(.*\/src\): QEMU cannot save the RAM .* --external/);
    const moved = await refused('vm.migrate', { name: 'fs', to: `home:${join(home, 'other')}` });
    expect(moved?.code).toBe('CONFLICT');
    expect(moved?.message).toMatch(/virtiofs shared folder "src" .*cannot live-migrate.*driver = "9p"/);
    expect(existsSync(join(home, 'other'))).toBe(false); // nothing was made on the destination
    // A disk-only (external) snapshot still works while it runs.
    const ext = await call<{ external: boolean; overlays: string[] }>('vm.snapshot.create', { name: 'fs', tag: 'ext1', external: true });
    expect(ext.overlays).toHaveLength(1);

    await call('vm.stop', { name: 'fs', force: true });
    await waitFor('virtiofsd gone with QEMU', () => !alive(vfs), 10_000, 100);
  }, 400_000);
});
