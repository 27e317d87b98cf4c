import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readJson, stageFileAtomic, sweepStaleTemps, writeFileAtomic, writeJsonAtomic } from './atomic.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nova-atomic-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('atomic state files', () => {
  it('replaces content whole and leaves no temp files', async () => {
    const f = join(dir, 'sub', 'state.json');
    await writeJsonAtomic(f, { a: 1 });
    await writeJsonAtomic(f, { a: 2, b: 'x' });
    expect(await readJson(f, {})).toEqual({ a: 2, b: 'x' });
    expect(await readdir(join(dir, 'sub'))).toEqual(['state.json']);
  });

  it('a staged write is invisible until commit, durable after synced, and leaves nothing when discarded', async () => {
    const f = join(dir, 'staged', 'state.json');
    const w = stageFileAtomic(f, '{"a":1}\n');
    await expect(w.synced()).rejects.toThrow(/before commit/);
    expect(await readJson(f, 'absent')).toBe('absent');
    await w.commit();
    await w.synced();
    expect(await readJson(f, {})).toEqual({ a: 1 });
    await w.discard(); // after commit: a no-op, the file stays
    const dropped = stageFileAtomic(f, '{"a":2}\n');
    await dropped.discard();
    expect(await readJson(f, {})).toEqual({ a: 1 });
    expect(await readdir(join(dir, 'staged'))).toEqual(['state.json']);
  });

  it('a writer killed with -9 before the rename leaves a temp file that the sweep removes', async () => {
    const f = join(dir, 'vms', 'web', 'record.json');
    await writeJsonAtomic(f, { v: 1 });
    const code = `import('./src/core/sys/atomic.ts').then((m) => m.writeJsonAtomic(${JSON.stringify(f)}, { v: 2 }))`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { env: { ...process.env, NOVA_CRASH_AT: '1' }, encoding: 'utf8' });
    expect([r.signal, r.stderr]).toEqual(['SIGKILL', 'nova: NOVA_CRASH_AT=1: killed at write record.json\n']);
    const temps = (await readdir(join(dir, 'vms', 'web'))).filter((n) => n.endsWith('.tmp'));
    expect(temps).toHaveLength(1);
    // A live writer's temp file (ours) is never touched.
    await writeFile(join(dir, `.x.json.${process.pid}.ab12.tmp`), '');
    expect(await sweepStaleTemps(dir, 2)).toEqual([join('vms', 'web', temps[0]!)]);
    expect(await readdir(join(dir, 'vms', 'web'))).toEqual(['record.json']);
    expect(await readJson(f, {})).toEqual({ v: 1 });
    expect(await readdir(dir)).toContain(`.x.json.${process.pid}.ab12.tmp`);
  });

  it('writes secrets with the requested mode regardless of umask', async () => {
    const f = join(dir, 'env.json');
    await writeFileAtomic(f, '{"API_KEY":"x"}', { mode: 0o600 });
    expect((await stat(f)).mode & 0o777).toBe(0o600);
  });

  it('never shows a half-written file to concurrent readers', async () => {
    const f = join(dir, 'big.json');
    const big = (n: number) => ({ n, pad: 'x'.repeat(200_000) });
    await writeJsonAtomic(f, big(0));
    const writes = Array.from({ length: 20 }, (_, i) => writeJsonAtomic(f, big(i + 1)));
    const reads = Array.from({ length: 50 }, async () => JSON.parse(await readFile(f, 'utf8')) as { n: number; pad: string });
    const seen = await Promise.all(reads);
    await Promise.all(writes);
    for (const s of seen) expect(s.pad).toHaveLength(200_000);
  });

  it('returns the fallback for a missing file and names a corrupt one', async () => {
    expect(await readJson(join(dir, 'nope.json'), { empty: true })).toEqual({ empty: true });
    await writeFile(join(dir, 'bad.json'), '{ not json');
    await expect(readJson(join(dir, 'bad.json'), {})).rejects.toThrow(/bad\.json is not valid JSON/);
  });
});
