import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../shared/errors.js';
import { Reverter, withReverter } from './reverter.js';

describe('Reverter', () => {
  it('undoes completed steps newest first when a later step fails', async () => {
    const host: string[] = [];
    await expect(
      withReverter(async (r) => {
        host.push('bridge');
        r.add(() => void host.splice(host.indexOf('bridge'), 1), 'bridge');
        host.push('nat');
        r.add(() => void host.splice(host.indexOf('nat'), 1), 'nat');
        throw new Error('dnsmasq failed');
      }),
    ).rejects.toThrow('dnsmasq failed');
    expect(host).toEqual([]);
  });

  it('keeps every change on success', async () => {
    const host: string[] = [];
    const v = await withReverter(async (r) => {
      host.push('bridge');
      r.add(() => void host.pop());
      return 42;
    });
    expect(v).toBe(42);
    expect(host).toEqual(['bridge']);
  });

  it('keeps undoing after one undo fails and reports it', async () => {
    const order: string[] = [];
    const r = new Reverter();
    r.add(() => void order.push('first'));
    r.add(() => {
      throw new Error('busy');
    }, 'second');
    r.add(() => void order.push('third'));
    await r.fail();
    expect(order).toEqual(['third', 'first']);
    expect(r.undoErrors.map((e) => e.label)).toEqual(['second']);
    await r.fail(); // idempotent
    expect(order).toEqual(['third', 'first']);
  });

  it('on real files: a failed undo is reported (which step, which error) and the other undos still run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nova-revert-'));
    try {
      const a = join(dir, 'a.conf');
      const cache = join(dir, 'cache');
      const b = join(dir, 'b.conf');
      const err = await withReverter(async (r) => {
        await writeFile(a, 'a');
        r.add(() => rm(a), 'write a.conf');
        await mkdir(cache);
        // rmdir refuses a folder that is not empty: this undo fails for real (ENOTEMPTY).
        r.add(() => rmdir(cache), 'make cache/');
        await writeFile(join(cache, 'late'), 'x');
        await writeFile(b, 'b');
        r.add(() => rm(b), 'write b.conf');
        throw new NovaError('CONFLICT', 'dnsmasq refused the config', { file: b });
      }).catch((e: unknown) => e);
      // The steps before and after the stuck one were undone.
      expect(existsSync(a)).toBe(false);
      expect(existsSync(b)).toBe(false);
      expect(existsSync(cache)).toBe(true);
      // The original failure keeps its code and details, and says what was left behind.
      expect(err).toBeInstanceOf(NovaError);
      const e = err as NovaError;
      expect(e.code).toBe('CONFLICT');
      expect(e.message).toMatch(/^dnsmasq refused the config; undoing it also failed at step 2 \(make cache\/\): ENOTEMPTY/);
      expect(e.details).toMatchObject({ file: b, undoFailed: [{ step: 2, label: 'make cache/', error: expect.stringContaining('ENOTEMPTY') }] });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a plain error keeps its identity and carries the undo failures too', async () => {
    const boom = new Error('ip link add failed');
    const err = await withReverter(async (r) => {
      r.add(() => {
        throw new Error('EBUSY');
      }, 'bridge');
      throw boom;
    }).catch((e: unknown) => e);
    expect(err).toBe(boom);
    expect(boom.message).toBe('ip link add failed; undoing it also failed at step 1 (bridge): EBUSY — that change may still be on the host');
    expect((boom as Error & { undoFailed: unknown }).undoFailed).toEqual([{ step: 1, label: 'bridge', error: 'EBUSY' }]);
  });
});
