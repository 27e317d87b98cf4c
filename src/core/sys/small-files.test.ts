import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from './atomic.js';
import { cmdlineMatches, readJsonKept, readJsonSmall, readPidSmall, readSmall } from './small-files.js';

const dir = mkdtempSync(join(tmpdir(), 'nova-small-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('small state files', () => {
  it('absent, unreadable-as-file and present files', () => {
    expect(readSmall(join(dir, 'none'))).toBeUndefined();
    expect(readSmall(join(dir, 'none', 'deeper'))).toBeUndefined();
    writeFileSync(join(dir, 'pid'), ' 42\n');
    expect(readPidSmall(join(dir, 'pid'))).toBe(42);
    writeFileSync(join(dir, 'badpid'), 'x');
    expect(readPidSmall(join(dir, 'badpid'))).toBeUndefined();
    expect(readJsonSmall(join(dir, 'none.json'), 'fallback')).toBe('fallback');
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => readJsonSmall(join(dir, 'broken.json'), undefined)).toThrow(/broken\.json is not valid JSON.*move it away/);
  });

  it('a kept record follows atomic rewrites and in-place writes of the same size; callers get their own object', async () => {
    const p = join(dir, 'rec.json');
    expect(readJsonKept(p, undefined)).toBeUndefined();
    await writeJsonAtomic(p, { v: 1 });
    const a = readJsonKept<{ v: number } | undefined>(p, undefined)!;
    expect(a).toEqual({ v: 1 });
    a.v = 99; // a caller changing its copy does not change the next reader's
    expect(readJsonKept(p, undefined)).toEqual({ v: 1 });
    await writeJsonAtomic(p, { v: 2 });
    expect(readJsonKept(p, undefined)).toEqual({ v: 2 });
    const old = new Date(Date.now() - 60_000);
    utimesSync(p, old, old); // old enough to be kept
    expect(readJsonKept(p, undefined)).toEqual({ v: 2 });
    writeFileSync(p, JSON.stringify({ v: 3 })); // same size, same inode, in place
    expect(readJsonKept(p, undefined)).toEqual({ v: 3 });
    utimesSync(p, old, old);
    expect(readJsonKept(p, undefined)).toEqual({ v: 3 });
    writeFileSync(p, JSON.stringify({ v: 4 }));
    utimesSync(p, old, old); // even a writer that puts the old mtime back moves ctime
    expect(readJsonKept(p, undefined)).toEqual({ v: 4 });
    rmSync(p);
    expect(readJsonKept(p, 'gone')).toBe('gone');
    expect(readJsonKept(join(dir, 'pid', 'x.json'), 'not a folder')).toBe('not a folder');
  });

  it('matches a live process by its cmdline, never a missing one', () => {
    expect(cmdlineMatches(process.pid, [process.execPath.split('/').pop()!])).toBe(true);
    expect(cmdlineMatches(process.pid, ['no-such-needle-in-argv'])).toBe(false);
    expect(cmdlineMatches(2 ** 22 + 7, ['x'])).toBe(false);
  });
});
