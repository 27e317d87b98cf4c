// The ISO install flow on a real TCG guest: a bootable ISO made here (isolinux + the test guest's
// kernel/initrd), a VM created by `nova vm create --iso --disk-size`, CD before disk on the first
// boot (the guest's kernel shows the CD's command line), the disk alone on the next start.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { ensureTestGuest } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import { HAS_ISOLINUX, makeBootIso } from '../../test/iso.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { pidAlive } from '../sys/proc.js';
import { readRuntime } from './store.js';

const NOVA_BIN = join(import.meta.dirname, '../../../bin/nova.mjs');
const MARK = 'nova-install-cd';

describeHost('ISO install flow on a real TCG guest', { root: true, tools: ['xorriso', 'qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio'] }, () => {
  let home: TempHome;
  const pids = new Set<number>();
  beforeAll(async () => {
    home = await tempHome('npv-iso-');
  });
  afterAll(async () => {
    await home.engine().dispatcher.invoke('vm.destroy', { name: 'npvinst' }).catch(() => undefined);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
  });

  it.skipIf(!HAS_ISOLINUX)(`boots the installer CD first, then the disk alone${HAS_ISOLINUX ? '' : ' — skipped: needs isolinux, syslinux-common'}`, async () => {
    const guest = await ensureTestGuest();
    const iso = await makeBootIso(home.dir, join(home.dir, 'installer.iso'), guest, MARK);

    // The CLI, as a user types it in their folder.
    const cli = await promisify(execFile)(process.execPath, [NOVA_BIN, '--json', 'vm', 'create', 'npvinst', '--iso', 'installer.iso', '--disk-size', '64Mi', '--memory', '160Mi', '--cpu', '1', '--network', 'none'], {
      cwd: home.dir, env: { ...home.env, NOVA_FROM_SOURCE: '1' },
    });
    const created = JSON.parse(cli.stdout) as VmInfo;
    expect(created.spec).toMatchObject({ install: true, iso: [iso], disks: [{ path: join(home.dir, 'npvinst.qcow2'), size: 64 * 1024 ** 2 }] });

    const e = home.engine();
    const call = <T = VmInfo>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
    const first = await call('vm.start', { name: 'npvinst' });
    if (first.pid) pids.add(first.pid);
    const argv1 = (await readRuntime(e.paths, 'npvinst'))!.argv.join(' ');
    expect(argv1).toMatch(/ide-cd,drive=cd0,[^ ]*bootindex=1/);
    expect(argv1).toMatch(/virtio-blk-pci,drive=disk0,[^ ]*bootindex=2/);
    // isolinux on the CD booted the kernel with the CD's command line.
    await waitFor('the kernel from the CD', async () => (await readFile(first.serialLog, 'utf8')).includes(MARK), 180_000, 500);
    expect((await call('vm.stop', { name: 'npvinst', force: true })).state).toBe('stopped');

    const second = await call('vm.start', { name: 'npvinst' });
    if (second.pid) pids.add(second.pid);
    const argv2 = (await readRuntime(e.paths, 'npvinst'))!.argv.join(' ');
    expect(argv2).not.toMatch(/ide-cd|installer\.iso/);
    expect(argv2).toMatch(/virtio-blk-pci,drive=disk0,[^ ]*bootindex=1/);
    expect((await call('vm.stop', { name: 'npvinst', force: true })).state).toBe('stopped');
    // New install media make the next start a first boot again.
    const updated = await call('vm.update', { name: 'npvinst', spec: { ...created.spec, iso: [iso, iso] }, baseDir: home.dir });
    expect(updated.name).toBe('npvinst');
    const third = await call('vm.start', { name: 'npvinst' });
    if (third.pid) pids.add(third.pid);
    expect((await readRuntime(e.paths, 'npvinst'))!.argv.join(' ')).toMatch(/ide-cd,drive=cd1,[^ ]*bootindex=2/);
    expect((await call('vm.stop', { name: 'npvinst', force: true })).state).toBe('stopped');
  }, 400_000);
});
