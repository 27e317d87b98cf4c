// The layer rule that keeps the engine usable from the CLI and the server: only src/main and
// src/preload may import electron; src/shared stays free of node:* too.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx|mts)$/.test(f) ? [p] : [];
  });
const importsOf = (file: string) =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('layers', () => {
  it.each(['core', 'shared', 'cli', 'server', 'renderer'])('src/%s never imports electron', (layer) => {
    const offenders = files(join(src, layer)).filter((f) => importsOf(f).some((i) => i === 'electron' || i.startsWith('electron/')));
    expect(offenders.map((f) => relative(src, f))).toEqual([]);
  });

  it('src/shared imports no node:* modules (it runs in the renderer too)', () => {
    const offenders = files(join(src, 'shared')).filter((f) => !f.endsWith('.test.ts') && importsOf(f).some((i) => i.startsWith('node:')));
    expect(offenders.map((f) => relative(src, f))).toEqual([]);
  });

  it('src/core never imports from the faces above it', () => {
    const offenders = files(join(src, 'core')).filter((f) => importsOf(f).some((i) => /\/(cli|server|main|preload|renderer)\//.test(i)));
    expect(offenders.map((f) => relative(src, f))).toEqual([]);
  });
});
