// Snapshots freeze the capsule through the cgroup freezer directly (freezer.ts): the runtime must
// see the same states, and a capsule the user paused must stay paused after a snapshot.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { freezeCapsule } from './freezer.js';
import { capsuleCgroup, capsuleLayout } from './layout.js';

describeHost('the capsule freezer', { root: true, tools: ['crun', 'zstd'] }, () => {
  let home: TempHome;
  let engine: Engine;
  const call = <T = CapsuleInfo>(m: string, input: unknown) => engine.dispatcher.invoke(m, input) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nova-frz-');
    const rootfs = busyboxRootfs(join(home.dir, 'work'));
    engine = home.engine();
    await call('capsule.create', { name: 'f', start: true, spec: { capsule: rootfs, runtime: 'crun', command: ['sh', '-c', 'while :; do date > /tick; sleep 0.05; done'] } });
  });

  afterAll(async () => {
    await engine?.dispatcher.call('capsule.rm', { name: 'f', force: true });
    await home?.cleanup();
  });

  it('freezes and thaws as the runtime sees it', async () => {
    const id = (await call('capsule.inspect', { name: 'f' })).id;
    // A wrong cgroup (what a reused pid would show) is never frozen.
    expect(await freezeCapsule(capsuleLayout(engine.paths, 'f'), '/nova/someone-else')).toBeUndefined();
    const thaw = await freezeCapsule(capsuleLayout(engine.paths, 'f'), capsuleCgroup(id));
    expect(thaw).toBeTypeOf('function');
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('paused');
    await thaw!();
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('running');
  });

  it('leaves a capsule the user paused paused after a snapshot, and a running one running', async () => {
    await call('capsule.snapshot.create', { name: 'f', tag: 'live' });
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('running');
    await call('capsule.pause', { name: 'f' });
    const id = (await call('capsule.inspect', { name: 'f' })).id;
    expect(await freezeCapsule(capsuleLayout(engine.paths, 'f'), capsuleCgroup(id))).toBeUndefined();
    await call('capsule.snapshot.create', { name: 'f', tag: 'paused' });
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('paused');
    await call('capsule.resume', { name: 'f' });
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('running');
  });

  it('a failed snapshot thaws the capsule and leaves no archive, description or partial file', async () => {
    const dir = capsuleLayout(engine.paths, 'f').snapshots;
    mkdirSync(join(dir, 'broken.tar.zst', 'in-the-way'), { recursive: true }); // tar cannot write its archive
    await expect(call('capsule.snapshot.create', { name: 'f', tag: 'broken' })).rejects.toMatchObject({ code: 'INTERNAL' });
    expect((await call('capsule.inspect', { name: 'f' })).state).toBe('running');
    expect(readdirSync(dir).filter((n) => n.startsWith('broken'))).toEqual(['broken.tar.zst']); // only our obstacle
    const { items } = await call<{ items: { tag: string }[] }>('capsule.snapshot.list', { name: 'f' });
    expect(items.map((i) => i.tag)).not.toContain('broken');
  });
});
