// Completion and man page checked by the real programs: bash sources the script and completes
// with compgen (a VM name comes from a real engine's state), man and groff render nova.1.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome, missing } from '../test/host.js';
import type { TempHome } from '../test/host.js';
import { buildProgram } from './main.js';
import { manPage } from './manpage.js';

const nova = join(import.meta.dirname, '..', '..', 'bin', 'nova.mjs');
let home: TempHome;
let script: string;

beforeAll(async () => {
  home = await tempHome();
  const engine = home.engine();
  const kernel = join(home.dir, 'vmlinuz');
  await writeFile(kernel, 'not really a kernel');
  // Defined, not started: its name is all completion needs.
  await engine.dispatcher.invoke('vm.create', { name: 'web-complete', spec: { kernel, memory: '128Mi', cpu: 1, network: 'none' } });
  await engine.close();
  // Generated once (starting nova from the sources takes seconds); names still come live.
  script = join(home.dir, 'nova.bash');
  await writeFile(script, execFileSync(process.execPath, [nova, 'completion', 'bash'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' }, encoding: 'utf8' }));
}, 120_000);
afterAll(async () => home?.cleanup());

/** Runs `_nova` in a real bash for the words typed so far; the candidates it offers. */
function complete(words: string[]): string[] {
  const run = `source "$SCRIPT" && complete -p nova >/dev/null && COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}) && COMP_CWORD=${words.length - 1} && _nova && printf '%s\\n' "\${COMPREPLY[@]}"`;
  // `nova` in the script is whatever the first word names: point it at this checkout.
  const out = execFileSync('bash', ['-c', `nova() { node "$NOVA_BIN" "$@"; }; export -f nova; ${run}`], {
    env: { ...home.env, NOVA_BIN: nova, NOVA_FROM_SOURCE: '1', SCRIPT: script },
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

describe.skipIf(missing({ tools: ['bash'] }) !== undefined)('nova completion bash', () => {
  it('registers with complete and completes commands, options and VM names', () => {
    const reg = execFileSync('bash', ['-c', 'source <(node "$NOVA_BIN" completion bash) && complete -p nova'], { env: { ...home.env, NOVA_BIN: nova, NOVA_FROM_SOURCE: '1' }, encoding: 'utf8' });
    expect(reg).toMatch(/complete .*-F _nova nova/);
    expect(complete(['nova', 'vm', 'st'])).toEqual(expect.arrayContaining(['start', 'stop', 'stats']));
    expect(complete(['nova', '--json', 'ne'])).toEqual(expect.arrayContaining(['net', 'network']));
    expect(complete(['nova', 'vm', 'start', 'web'])).toEqual(['web-complete']);
  }, 120_000);
});

describe('nova completion (generated)', () => {
  it('zsh wraps the bash function and fish lists subcommands and names', () => {
    const { program } = buildProgram();
    const zsh = execFileSync(process.execPath, [nova, 'completion', 'zsh'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' }, encoding: 'utf8' });
    expect(zsh).toMatch(/^#compdef nova\n/);
    expect(zsh).toContain('bashcompinit');
    const fish = execFileSync(process.execPath, [nova, 'completion', 'fish'], { env: { ...home.env, NOVA_FROM_SOURCE: '1' }, encoding: 'utf8' });
    expect(fish).toContain("complete -c nova -n '__fish_use_subcommand' -a");
    expect(fish).toContain('(nova completion names vm 2>/dev/null)');
    expect(program.commands.map((c) => c.name())).toContain('completion');
  }, 60_000);
});

describe.skipIf(missing({ tools: ['man', 'groff'] }) !== undefined)('nova.1', () => {
  it('renders with man -l and groff has nothing to warn about', async () => {
    const { program } = buildProgram();
    const file = join(home.dir, 'nova.1');
    await writeFile(file, manPage(program, '0.1.0', new Date('2026-01-01')));
    const warnings = execFileSync('groff', ['-man', '-ww', '-z', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(warnings).toBe('');
    const groffErr = execFileSync('sh', ['-c', 'groff -man -ww -z "$1" 2>&1', 'sh', file], { encoding: 'utf8' });
    expect(groffErr).toBe('');
    const shown = execFileSync('man', ['-l', file], { env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '100' }, encoding: 'utf8' });
    expect(shown).toMatch(/^NOVA\(1\)/);
    expect(shown).toContain('nova vm start <name>');
    expect(shown).toContain('--allow-write');
  });
});
