// Disk images through the real qemu-img: create, grow (never shrink), info, import/convert.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';

describeHost('VM disks (qemu-img)', { tools: ['qemu-img'] }, () => {
  let home: TempHome;
  let e: Engine;
  const call = <T>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
  const code = (p: Promise<unknown>) => p.then(() => 'OK', (err: { code: string; message: string }) => `${err.code}: ${err.message}`);
  type Info = { format: string; virtualSize: number; backingFile?: string; snapshots: number };
  beforeAll(async () => {
    home = await tempHome('nova-disk-');
    e = home.engine();
  });
  afterAll(() => home.cleanup());

  it('creates, grows, refuses to shrink or overwrite, imports raw as qcow2, links a backing file', async () => {
    const p = join(home.dir, 'a.qcow2');
    expect(await call<Info>('vm.disk.create', { path: p, size: '64Mi' })).toMatchObject({ format: 'qcow2', virtualSize: 64 * 1024 ** 2, snapshots: 0 });
    expect(await code(call('vm.disk.create', { path: p, size: '64Mi' }))).toMatch(/^CONFLICT: .*already exists/);
    expect((await call<Info>('vm.disk.resize', { path: p, size: '128Mi' })).virtualSize).toBe(128 * 1024 ** 2);
    expect(await code(call('vm.disk.resize', { path: p, size: '32Mi' }))).toMatch(/^INVALID_INPUT: size: shrinking/);
    expect(await code(call('vm.disk.create', { path: join(home.dir, 'b.qcow2'), size: '12Qi' }))).toMatch(/^INVALID_INPUT: .*size/);
    const raw = join(home.dir, 'src.img');
    writeFileSync(raw, Buffer.alloc(1024 * 1024, 7));
    expect(await call<Info>('vm.disk.import', { source: raw, path: join(home.dir, 'imp.qcow2') })).toMatchObject({ format: 'qcow2', virtualSize: 1024 * 1024 });
    expect(await code(call('vm.disk.import', { source: join(home.dir, 'nope.img'), path: join(home.dir, 'x.qcow2') }))).toMatch(/^INVALID_INPUT: source/);
    const linked = await call<Info>('vm.disk.create', { path: join(home.dir, 'l.qcow2'), size: 0, backing: p });
    expect(linked.backingFile).toBe(p);
    expect(linked.virtualSize).toBe(128 * 1024 ** 2);
  });
});
