// The engine, contract, CLI and server run under plain Node: none of them may import electron.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const PLAIN_NODE = ['src/core', 'src/shared', 'src/cli', 'src/server'];

/** Matches import/export-from, dynamic import() and require() of electron or electron-* packages. */
export const ELECTRON_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"](electron|electron-store|@electron\/[\w-]+)(?:\/[^'"]*)?['"]/;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|tsx|mts|js|mjs)$/.test(name) ? [p] : [];
  });
}

describe('layering', () => {
  it('the scanner catches every import form', () => {
    for (const line of ["import { app } from 'electron';", 'import type { App } from "electron";', "const e = await import('electron');", "require('electron')", "import 'electron';", "export { app } from 'electron/main';", "import Store from 'electron-store';"]) {
      expect(ELECTRON_IMPORT.test(line), line).toBe(true);
    }
    expect(ELECTRON_IMPORT.test("import { build } from 'electron-vite-like-helper/x' // electron")).toBe(false);
  });

  it('src/core, src/shared, src/cli and src/server never import electron', () => {
    const offenders = PLAIN_NODE.flatMap((d) => sources(join(ROOT, d)))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .map((line, i) => ({ line, at: `${relative(ROOT, f)}:${i + 1}` }))
          .filter(({ line }) => ELECTRON_IMPORT.test(line)),
      );
    expect(offenders.map((o) => `${o.at}: ${o.line.trim()}`)).toEqual([]);
  });
});
