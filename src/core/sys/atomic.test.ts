import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJson, writeFileAtomic, writeJsonAtomic } from './atomic.js';

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
