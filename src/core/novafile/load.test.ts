// The one NovaFile loader: every face and procedure finds, bounds and reads the file the same way.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { loadNovafile, locateNovafile, readNovafileSource } from './load.js';

let home: TempHome;
beforeAll(async () => (home = await tempHome()));
afterAll(async () => home.cleanup());

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string; message: string }) => `${e.code}: ${e.message}`);
const HUGE = `# ${'x'.repeat(4 * 1024 * 1024 + 10)}\n`;

describe('NovaFile loading', () => {
  it('finds NovaFile, Novafile, novafile.toml in that order, or names the one it would create', async () => {
    const dir = join(home.dir, 'find');
    await mkdir(dir);
    expect(locateNovafile({ cwd: dir })).toEqual({ file: join(dir, 'NovaFile'), exists: false });
    await writeFile(join(dir, 'novafile.toml'), '');
    expect(locateNovafile({ cwd: dir })).toEqual({ file: join(dir, 'novafile.toml'), exists: true });
    expect(locateNovafile({ cwd: dir, path: 'sub/x.toml' })).toEqual({ file: join(dir, 'sub/x.toml'), exists: false });
    await expect(readNovafileSource({ cwd: join(home.dir, 'none') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('text and files share the size limit, in every procedure that loads a NovaFile', async () => {
    const e = home.engine();
    const dir = join(home.dir, 'huge');
    await mkdir(dir);
    await writeFile(join(dir, 'NovaFile'), HUGE);
    for (const src of [{ text: HUGE, cwd: dir }, { cwd: dir }]) {
      expect(await code(loadNovafile(src))).toMatch(/^INVALID_INPUT: .*more than the 4194304-byte limit/);
      expect(await code(e.call('novafile.plan', src))).toMatch(/^INVALID_INPUT: .*more than the 4194304-byte limit/);
      expect(await code(e.call('novafile.validate', src))).toMatch(/^INVALID_INPUT: .*more than the 4194304-byte limit/);
    }
  });

  it('a NovaFile given as text resolves relative paths against the project folder', async () => {
    const l = await loadNovafile({ text: '[vm.a]\nimage = "disk.qcow2"\n', cwd: '/srv/proj' });
    expect(l).toMatchObject({ file: '/srv/proj/NovaFile', dir: '/srv/proj' });
  });
});
