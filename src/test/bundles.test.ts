// Test doubles and fixtures live in `testing/` folders (or files named fake*) and never ship: the
// built bundles (npm run build → out/) hold none of them. Source maps name every bundled file;
// minified bundles without a map are searched for names only those files contain.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const out = join(import.meta.dirname, '..', '..', 'out');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });

const isTestOnly = (source: string) => /(^|\/)testing\//.test(source) || /(^|\/)fake[^/]*$/.test(source) || /\.test\.tsx?$/.test(source);
// Names only the test doubles hold: the GPU fixture kernel and its marker file, the fake electron module.
const TEST_ONLY_NAMES = ['FixtureKernel', '.nova-fixture.json', 'SysfsFixture', 'fakeElectron', 'FakeWebContents'];

describe.skipIf(!existsSync(out))('built bundles (out/; skipped: not built, run npm run build)', () => {
  it('no source map names a file under testing/ or a fake*', () => {
    const maps = files(out).filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const shipped = maps.flatMap((m) => (JSON.parse(readFileSync(m, 'utf8')) as { sources: string[] }).sources.filter(isTestOnly).map((s) => `${relative(out, m)}: ${s}`));
    expect(shipped).toEqual([]);
  });

  it('no bundle holds a test double by name', () => {
    const bundles = files(out).filter((f) => /\.(c|m)?js$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    const found = bundles.flatMap((b) => {
      const text = readFileSync(b, 'utf8');
      return TEST_ONLY_NAMES.filter((n) => text.includes(n)).map((n) => `${relative(out, b)}: ${n}`);
    });
    expect(found).toEqual([]);
  });

  it('the check itself: a fixture path is recognised as test-only', () => {
    expect(['../../src/core/gpu/testing/fake-kernel.ts', 'src/main/testing/fake-electron.ts', 'src/x/fake-thing.ts'].every(isTestOnly)).toBe(true);
    expect(['../../src/core/gpu/writer.ts', 'src/main/index.ts'].some(isTestOnly)).toBe(false);
  });
});
