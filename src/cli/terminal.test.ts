// Hostile text from guests, capsules and files reaches the terminal only with its control
// characters made visible; --json keeps it exact.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { neutralize } from './terminal.js';

const root = join(import.meta.dirname, '..', '..');
const ESC = '\x1b';
const OSC52 = `${ESC}]52;c;ZXZpbA==\x07`; // would write "evil" into the clipboard
const CLEAR = `${ESC}[2J${ESC}[H`;
/** Any byte a terminal acts on besides \n and \t. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('neutralize', () => {
  it('shows ESC/CSI, OSC 52, BEL, \\r, C1 CSI and bidi overrides as visible escapes', () => {
    expect(neutralize(`a${OSC52}b`)).toBe('a\\x1b]52;c;ZXZpbA==\\x07b');
    expect(neutralize(`${CLEAR}x\rok`)).toBe('\\x1b[2J\\x1b[Hx\\x0dok');
    expect(neutralize('\u009b31m\u202eevil')).toBe('\\x9b31m\\u202eevil');
    expect(neutralize('\x00\x7f')).toBe('\\x00\\x7f');
  });
  it('leaves newlines, tabs and ordinary Unicode alone', () => {
    expect(neutralize('line 1\n\tline 2 — ✓ ü 日本')).toBe('line 1\n\tline 2 — ✓ ü 日本');
  });
});

describe('every CLI printer goes through the helper', () => {
  it('no direct stdout/stderr writes in src/cli except JSON and the raw exec stream', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
    const direct = files(join(root, 'src', 'cli')).flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => /process\.(stdout|stderr)\.write\(|console\.(log|error|warn)\(/.test(l))
        .map((l) => `${f.slice(root.length + 1)}: ${l.trim()}`),
    );
    const allowed = [/^src\/cli\/terminal\.ts: /, /JSON\.stringify/, /^src\/cli\/commands\/capsule-exec\.ts: process\.std(out|err)\.write\(r\.std(out|err) \?/];
    expect(direct.filter((d) => !allowed.some((a) => a.test(d)))).toEqual([]);
  });
});

describe('the nova binary with hostile names and log lines', () => {
  let home: TempHome;
  const nova = async (args: string[], cwd = root) => {
    try {
      const r = await promisify(execFile)(process.execPath, [join(root, 'bin', 'nova.mjs'), ...args], { cwd, env: { ...home.env, NOVA_FROM_SOURCE: '1' } });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };
  beforeAll(async () => (home = await tempHome('nova-esc-')));
  afterAll(async () => home.cleanup());

  it('a NovaFile key with OSC 52 and a screen clear: visible in the error text, exact in --json', async () => {
    const dir = join(home.dir, 'project');
    await mkdir(dir);
    await writeFile(join(dir, 'NovaFile'), '[vm."x\\u001b]52;c;ZXZpbA==\\u0007\\u001b[2J"]\ncpu = 2\n');
    const human = await nova(['validate', '-f', 'NovaFile'], dir);
    expect(human.code).toBe(1);
    expect(human.stdout + human.stderr).toContain('vm.x\\x1b]52;c;ZXZpbA==\\x07\\x1b[2J');
    expect(human.stdout + human.stderr).not.toMatch(CONTROL);
    const json = await nova(['--json', 'validate', '-f', 'NovaFile'], dir);
    expect((JSON.parse(json.stdout) as { errors: { path: string }[] }).errors[0]!.path).toBe(`vm.x${OSC52}${ESC}[2J`);
  });

  it("a guest's serial output with escapes: `nova vm logs` shows them visibly, --json gives the exact lines", async () => {
    const kernel = join(home.dir, 'vmlinuz');
    await writeFile(kernel, 'not really a kernel');
    expect((await nova(['--json', 'vm', 'create', 'esc', '--kernel', kernel])).code).toBe(0);
    const serial = join(home.dir, 'data', 'vms', 'esc', 'serial.log');
    await writeFile(serial, `booting\n${CLEAR}owned${OSC52}\n\u009b31mred\n`);
    const human = await nova(['vm', 'logs', 'esc']);
    expect(human.stdout).toBe('booting\n\\x1b[2J\\x1b[Howned\\x1b]52;c;ZXZpbA==\\x07\n\\x9b31mred\n');
    const json = JSON.parse((await nova(['--json', 'vm', 'logs', 'esc'])).stdout) as { lines: string[] };
    expect(json.lines).toEqual(['booting', `${CLEAR}owned${OSC52}`, '\u009b31mred']);
  });
});
