// `nova wizard vm --write` as users run it: the engine (novafile.addVm) appends the entry the
// command printed; a second run refuses the taken name and leaves the file alone.
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';

const root = join(import.meta.dirname, '..', '..', '..');
let home: TempHome;

async function nova(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [join(root, 'bin', 'nova.mjs'), ...args], { cwd, env: { ...home.env, NOVA_FROM_SOURCE: '1' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => (home = await tempHome()));
afterAll(async () => home.cleanup());

describe('nova wizard vm --write', () => {
  it('appends the printed gpu-labs entry to a new NovaFile, then refuses the same name', async () => {
    const cwd = join(home.dir, 'proj');
    await mkdir(cwd);
    const r = await nova(['--json', 'wizard', 'vm', 'lab', '--preset', 'gpu-labs', '--gpu', '0000:01:00.0', '--write'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { toml: string; written: string; spec: Record<string, unknown> };
    expect(out.written).toBe(join(cwd, 'NovaFile'));
    expect(out.spec).toMatchObject({ os: 'windows', gpu_passthrough: true, hugepages: true, balloon: false, gpu: '0000:01:00.0' });
    expect(await readFile(out.written, 'utf8')).toBe(out.toml);

    const again = await nova(['wizard', 'vm', 'lab', '--preset', 'win11', '--write'], cwd);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has \[vm\.lab\]/);
    expect(await readFile(out.written, 'utf8')).toBe(out.toml);

    // -f names another file; the second entry goes there, after its text.
    const other = await nova(['-f', 'other.toml', 'wizard', 'vm', 'win', '--preset', 'win11', '--write'], cwd);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain(`appended to ${join(cwd, 'other.toml')}`);
    expect(await readFile(join(cwd, 'other.toml'), 'utf8')).toMatch(/^\[vm\.win\]\npreset = "win11"\n/);
  });
});
