import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ access: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, access: (...a: Parameters<typeof real.access>) => (calls.access++, real.access(...a)) };
});
const { findBinary } = await import('./which.js');

describe('findBinary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nova-which-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const dirs = Array.from({ length: 8 }, (_, i) => join(dir, `d${i}`));
  for (const d of dirs) mkdirSync(d);
  writeFileSync(join(dirs[7]!, 'tool'), '#!/bin/sh\n');
  chmodSync(join(dirs[7]!, 'tool'), 0o755);
  const env = { PATH: dirs.join(':') };

  it('finds the executable on PATH; concurrent lookups share one walk', async () => {
    calls.access = 0;
    const found = await Promise.all(Array.from({ length: 50 }, () => findBinary('tool', env)));
    expect(new Set(found)).toEqual(new Set([join(dirs[7]!, 'tool')]));
    expect(calls.access).toBe(8); // one walk: d0…d7
    expect(await findBinary('missing', env)).toBeUndefined();
  });
});
