import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, withLock } from './lock.js';
import { lockHelper } from './lock-helper.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nova-lock-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

// Both ways of holding a lock: the native helper (one per process) and the flock(1) child.
describe.each([
  ['the lock helper', undefined],
  ['a flock child (helper not built)', 'off'],
])('lock files between processes, held by %s', (_how, helperEnv) => {
  beforeEach(() => {
    if (helperEnv) process.env.NOVA_LOCK_HELPER = helperEnv;
    else delete process.env.NOVA_LOCK_HELPER;
  });
  afterEach(() => void delete process.env.NOVA_LOCK_HELPER);

  it('is a kernel flock: flock(1) from another process sees it taken, then free', async () => {
    expect(Boolean(lockHelper())).toBe(!helperEnv); // the variant under test is the one in use
    const path = join(dir, 'net-a.lock');
    const held = await acquireLock(path);
    expect(spawnSync('flock', ['--nonblock', path, 'true']).status).toBe(1);
    await held.release();
    expect(spawnSync('flock', ['--nonblock', path, 'true']).status).toBe(0);
  });

  it('makes its folder again when it was removed after a first lock', async () => {
    const sub = join(dir, 'gone');
    await (await acquireLock(join(sub, 'a.lock'))).release();
    await rm(sub, { recursive: true });
    await (await acquireLock(join(sub, 'a.lock'))).release();
  });

  it('holds many locks at once and releases each on its own', async () => {
    const locks = await Promise.all(Array.from({ length: 20 }, (_, i) => acquireLock(join(dir, `c-${i}.lock`))));
    await locks[3]!.release();
    expect(spawnSync('flock', ['--nonblock', join(dir, 'c-3.lock'), 'true']).status).toBe(0);
    expect(spawnSync('flock', ['--nonblock', join(dir, 'c-4.lock'), 'true']).status).toBe(1);
    for (const l of locks) await l.release();
  });

  it('serializes two holders: the second waits for the first', async () => {
    const path = join(dir, 'project-dev.lock');
    const events: string[] = [];
    const first = withLock(path, async () => {
      events.push('a-start');
      await new Promise((r) => setTimeout(r, 300));
      events.push('a-end');
    });
    await new Promise((r) => setTimeout(r, 100));
    await withLock(path, async () => void events.push('b'));
    await first;
    expect(events).toEqual(['a-start', 'a-end', 'b']);
  });

  it('gives up with CONFLICT naming the holder after the timeout', async () => {
    const path = join(dir, 'vm-x.lock');
    const held = await acquireLock(path, { holder: 'nova up dev-lab' });
    await expect(acquireLock(path, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('nova up dev-lab') });
    await held.release();
    const again = await acquireLock(path, { timeoutMs: 1000 });
    await again.release();
  });

  it('is released by the kernel when the holder is killed with SIGKILL', async () => {
    const path = join(dir, 'vm-y.lock');
    const fixture = join(import.meta.dirname, 'testing', 'lock-holder.ts');
    const holder = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    await expect(acquireLock(path, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'CONFLICT' });
    holder.kill('SIGKILL');
    const lock = await acquireLock(path, { timeoutMs: 5000 });
    await lock.release();
  });
});
