// novafile.addVm: the engine appends a [vm.NAME] entry (what `nova wizard vm --write` does).
import { chmod, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPreset } from '../../shared/presets.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import type { Engine } from '../engine.js';

let home: TempHome;
let engine: Engine;
let n = 0;
/** A fresh project folder per test. */
const project = async (files: Record<string, string> = {}): Promise<string> => {
  const dir = join(home.dir, `p${n++}`);
  await mkdir(dir);
  for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
  return dir;
};
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string; message: string }) => `${e.code}: ${e.message}`);

beforeAll(async () => {
  home = await tempHome();
  engine = home.engine();
});
afterAll(async () => home.cleanup());

describe('novafile.addVm', () => {
  const win = renderPreset({ name: 'win', preset: 'win11' });

  it('creates the NovaFile in the project folder when there is none, and the result validates', async () => {
    const cwd = await project();
    const r = await engine.call('novafile.addVm', { name: 'win', spec: win.spec, cwd });
    expect(r).toEqual({ file: join(cwd, 'NovaFile'), created: true, toml: win.toml });
    expect(await readFile(r.file, 'utf8')).toBe(win.toml);
    const v = await engine.call('novafile.validate', { cwd });
    expect(v).toMatchObject({ valid: true, counts: { vm: 1 } });
  });

  it('appends to the NovaFile it finds, keeping the text and the file mode', async () => {
    const cwd = await project({ 'novafile.toml': 'project = "x"\n# keep me\n[network.lab]\nsubnet = "10.9.0.1/24"' });
    await chmod(join(cwd, 'novafile.toml'), 0o600);
    const r = await engine.call('novafile.addVm', { name: 'win', spec: { ...win.spec, network: 'lab' }, cwd });
    expect(r).toMatchObject({ file: join(cwd, 'novafile.toml'), created: false });
    const text = await readFile(r.file, 'utf8');
    expect(text.startsWith('project = "x"\n# keep me\n[network.lab]\nsubnet = "10.9.0.1/24"\n\n[vm.win]\n')).toBe(true);
    expect((await stat(r.file)).mode & 0o777).toBe(0o600);
    expect(await engine.call('novafile.validate', { cwd })).toMatchObject({ valid: true, counts: { vm: 1, network: 1 } });
  });

  it('writes through a symlinked NovaFile into its target (-f PATH)', async () => {
    const cwd = await project({ 'real.toml': '' });
    await symlink(join(cwd, 'real.toml'), join(cwd, 'NovaFile'));
    const r = await engine.call('novafile.addVm', { name: 'win', spec: win.spec, path: 'NovaFile', cwd });
    expect(r.file).toBe(join(cwd, 'real.toml'));
    expect(await readFile(join(cwd, 'NovaFile'), 'utf8')).toBe(win.toml);
  });

  it('refuses a name the file already has, however it is written, and changes nothing', async () => {
    for (const existing of ['[vm.win]\nimage = "/x.qcow2"\n', '[vm."win"]\nimage = "/x.qcow2"\n', 'vm.win.image = "/x.qcow2"\n']) {
      const cwd = await project({ NovaFile: existing });
      expect(await code(engine.call('novafile.addVm', { name: 'win', spec: win.spec, cwd }))).toMatch(/^CONFLICT: .*already has \[vm\.win\]/);
      expect(await readFile(join(cwd, 'NovaFile'), 'utf8')).toBe(existing);
    }
  });

  it('refuses an entry that does not validate, naming the key, and a file that does not parse', async () => {
    const cwd = await project({ NovaFile: 'project = "x"\n' });
    expect(await code(engine.call('novafile.addVm', { name: 'bad', spec: { cpus: 4, image: '/x.qcow2' }, cwd }))).toMatch(/^INVALID_INPUT: .*vm\.bad\.cpus/s);
    const broken = await project({ NovaFile: '[vm.a\n' });
    expect(await code(engine.call('novafile.addVm', { name: 'win', spec: win.spec, cwd: broken }))).toMatch(/^INVALID_INPUT: .*NovaFile:1:\d+: the NovaFile does not parse/);
    expect(await readFile(join(cwd, 'NovaFile'), 'utf8')).toBe('project = "x"\n');
    expect(await readFile(join(broken, 'NovaFile'), 'utf8')).toBe('[vm.a\n');
  });
});
