import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateNovafileText } from './validate.js';

const example = readFileSync(join(import.meta.dirname, '__fixtures__', 'spec-example.toml'), 'utf8');
const extra = `
[vm.lab]
kernel = "/k"
initrd = "/i"
cmdline = "console=ttyS0"
disks = [{ path = "/d.qcow2", size = "8Gi" }, "/e.raw"]
ports = ["2222:22", "127.0.0.1:8443:443/tcp"]
restart = "on-failure"

[container.db]
capsule = "postgres:16"
limits = { cpu = 0.5, memory = "256Mi", pids = 64 }
env = { PASSWORD = "hunter2", "X" = 1 }
command = """
sh -c 'exec postgres'
"""
`;

// Small seeded PRNG so a failure is reproducible from its iteration number.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

const TOKENS = ['=', '"', "'", '[', ']', '{', '}', ',', '.', '\n', '#', ' ', 'x', '1', '-', '"""', '[[', 'true', '16Gi', 'cpus', '\\', '\t', 'é', '\u0000'];

function mutate(text: string, r: () => number): string {
  const lines = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  let out = text;
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(r() * (out.length + 1));
    switch (Math.floor(r() * 6)) {
      case 0: out = out.slice(0, pos) + out.slice(pos + 1 + Math.floor(r() * 5)); break;
      case 1: out = out.slice(0, pos) + TOKENS[Math.floor(r() * TOKENS.length)] + out.slice(pos); break;
      case 2: { const i = Math.floor(r() * lines.length); lines.splice(i, 0, lines[Math.floor(r() * lines.length)]!); out = lines.join('\n'); break; }
      case 3: { const i = Math.floor(r() * lines.length); const j = Math.floor(r() * lines.length); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; out = lines.join('\n'); break; }
      case 4: out = out.replace(/= [^\n]+/, `= ${TOKENS[Math.floor(r() * TOKENS.length)]}`); break;
      default: out = out.replace(/\b(cpu|memory|network|type|capsule)\b/, (m) => `${m}${'sx'[Math.floor(r() * 2)]}`);
    }
  }
  return out;
}

describe('NovaFile fuzz', () => {
  it('10,000 mutated NovaFiles: never crashes, every error is located inside the file', () => {
    const base = example + extra;
    const r = rng(20261122);
    let invalid = 0;
    for (let i = 0; i < 10_000; i++) {
      const text = mutate(base, r);
      const lineCount = text.split('\n').length;
      let result: ReturnType<typeof validateNovafileText>;
      try {
        result = validateNovafileText(text, 'NovaFile');
      } catch (e) {
        throw new Error(`iteration ${i} crashed: ${(e as Error).message}\n${text}`);
      }
      if (result.errors.length) invalid++;
      else expect(result.novafile, `iteration ${i}`).toBeDefined();
      for (const e of result.errors) {
        if (!(e.line >= 1 && e.line <= lineCount + 1 && e.column >= 1 && e.message.length > 0)) {
          throw new Error(`iteration ${i}: unlocated error ${JSON.stringify(e)}\n${text}`);
        }
      }
    }
    // The mutations must actually exercise the error paths.
    expect(invalid).toBeGreaterThan(5000);
  });
});
