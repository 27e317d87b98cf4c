import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, withLock } from './lock.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nova-lock-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('lock files between processes', () => {
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
    const fixture = join(import.meta.dirname, 'lock.fixture.ts');
    const holder = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    await expect(acquireLock(path, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'CONFLICT' });
    holder.kill('SIGKILL');
    const lock = await acquireLock(path, { timeoutMs: 5000 });
    await lock.release();
  });
});
