// Restore and delete of external snapshots on real qcow2 chains (qemu-img, qemu-io): the data each
// point in time held is checked byte-wise, the chain and the record the next start uses follow.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmDiskChain } from '../../shared/contract/vm.js';
import type { Engine } from '../engine.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';

describeHost('VM external snapshots: restore and delete', { tools: ['qemu-img', 'qemu-io'] }, () => {
  let home: TempHome;
  let e: Engine;
  const call = <T>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
  const chain = async () => (await call<{ chain: VmDiskChain[] }>('vm.snapshot.list', { name: 'xs' })).chain[0]!.layers;
  const current = async () => (await chain()).at(-1)!.file;
  /** Writes one byte pattern at offset 0 of what the VM writes to now. */
  const write = async (pattern: number) => execFileSync('qemu-io', ['-f', 'qcow2', '-c', `write -P ${pattern} 0 64k`, await current()]);
  /** The pattern the VM reads at offset 0 (the whole chain). */
  const read = async () => {
    const out = execFileSync('qemu-io', ['-f', 'qcow2', '-r', '-c', 'read -v 0 16', await current()]).toString();
    return parseInt(/^0+:\s+([0-9a-f]{2})/m.exec(out)![1]!, 16);
  };
  const tags = async () => (await chain()).map((l) => l.externalTag ?? 'base');

  beforeAll(async () => {
    home = await tempHome('nova-xsnap-');
    e = home.engine();
  });
  afterAll(async () => {
    await call('vm.delete', { name: 'xs', disks: true }).catch(() => undefined);
    await home.cleanup();
  });

  it('restore drops what came after the point in time (again and again); delete keeps the data and removes the point', async () => {
    await call('vm.create', { name: 'xs', spec: { memory: '64Mi', cpu: 1, network: 'none', disks: [{ path: join(home.dir, 'base.qcow2'), size: '16Mi' }] } });
    await write(0x11);
    await call('vm.snapshot.create', { name: 'xs', tag: 'a', external: true });
    await write(0x22);
    await call('vm.snapshot.create', { name: 'xs', tag: 'b', external: true });
    await write(0x33);
    expect(await tags()).toEqual(['base', 'a', 'b']);

    // Restore a: back to 0x11, b's layer is gone, a's overlay is current (and empty again).
    await call('vm.snapshot.restore', { name: 'xs', tag: 'a' });
    expect(await tags()).toEqual(['base', 'a']);
    expect(await read()).toBe(0x11);
    await write(0x44);
    await call('vm.snapshot.restore', { name: 'xs', tag: 'a' });
    expect(await read()).toBe(0x11);
    const rec = (await call<{ disks: { path: string }[] }>('vm.inspect', { name: 'xs' })).disks[0]!.path;
    expect(rec).toMatch(/disk0-a\.qcow2$/); // the next start boots from the restored overlay

    // Delete a (the current layer): its writes go into the base, the VM boots from the base.
    await write(0x55);
    await call('vm.snapshot.create', { name: 'xs', tag: 'c', external: true });
    await write(0x66);
    expect(await tags()).toEqual(['base', 'a', 'c']);
    await call('vm.snapshot.delete', { name: 'xs', tag: 'a' }); // a middle layer: c is re-pointed at the base
    expect(await tags()).toEqual(['base', 'c']);
    expect(await read()).toBe(0x66);
    await call('vm.snapshot.restore', { name: 'xs', tag: 'c' }); // c's point in time kept a's writes
    expect(await read()).toBe(0x55);
    const cFile = await current();
    await call('vm.snapshot.delete', { name: 'xs', tag: 'c' });
    expect(await tags()).toEqual(['base']);
    expect(await read()).toBe(0x55);
    const { disks } = await call<{ disks: { path: string }[] }>('vm.inspect', { name: 'xs' });
    expect(disks[0]!.path).toBe(join(home.dir, 'base.qcow2'));
    expect(existsSync(cFile)).toBe(false);

    await expect(call('vm.snapshot.delete', { name: 'xs', tag: 'zz' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
