// `nova plan` / `nova up` as users run them: real processes, exit codes, redaction.
import { execFile } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../../test/host.js';
import { quicDriver } from '../../core/network/overlay/quic/driver.js';
import { createRunner } from '../../core/sys/runner.js';
import type { TempHome } from '../../test/host.js';

const root = join(import.meta.dirname, '..', '..', '..');
// driver = "quic" plans when nova-quic-tunnel is built (npm run build with Debian's cargo) — issue #18.
const quicHere = (await quicDriver.support(createRunner().run)).ok;
const example = join(root, 'src', 'core', 'novafile', '__fixtures__', 'spec-example.toml');
let home: TempHome;

async function nova(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [join(root, 'bin', 'nova.mjs'), ...args], { cwd: home.dir, env: { ...home.env, NOVA_FROM_SOURCE: '1' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  home = await tempHome();
  await copyFile(example, join(home.dir, 'NovaFile'));
});
afterAll(async () => home.cleanup());

describe('nova plan / up on the spec example', () => {
  it('plan names the GPU (and, without the quic tunnel built, the quic) host limits with file:line and exits 1; --json hides env values', async () => {
    const r = await nova(['plan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/NovaFile:\d+:\d+: vm\.win11\.gpu_passthrough: GPU passthrough is not possible on this host/);
    const quic = /network\.nova-net\.driver: overlay driver "quic" is not available on this host/;
    if (quicHere) expect(r.stdout).not.toMatch(quic);
    else expect(r.stdout).toMatch(quic);
    // The capsule is blocked only through its network.
    expect(r.stdout).toMatch(quicHere ? /\+ capsule api +create / : /! capsule api +blocked /);
    const j = await nova(['--json', 'plan']);
    const plan = JSON.parse(j.stdout) as { project: string; errors: { path: string }[] };
    expect(plan.project).toBe('dev-lab');
    expect(plan.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['vm.win11.gpu_passthrough', ...(quicHere ? [] : ['network.nova-net.driver'])]));
    expect(j.stdout + r.stdout).not.toContain('"secret"');
  });

  it('up refuses without --partial and changes nothing', async () => {
    const r = await nova(['up']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nothing applied: \d+ problem\(s\)/);
    expect(r.stderr).toContain('nova up --partial');
    const ls = await nova(['--json', 'ls', '--project', 'dev-lab']);
    expect(JSON.parse(ls.stdout)).toEqual({ items: [] });
  });

  it('rejects a bad --parallel as a usage error', async () => {
    const r = await nova(['up', '--parallel', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--parallel 0: use a whole number from 1 to 32');
  });
});
