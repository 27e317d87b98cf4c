import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build, createLogger } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';

// The renderer's production build (what `npm run build` ships and `nova serve` serves): no
// warnings, and the theme boot script stays a classic script beside index.html, referenced
// relative to it (the app loads index.html from a file:// URL, where "/theme-boot.js" is the
// filesystem root) so the chosen theme paints first.
describe('renderer build', () => {
  const out = mkdtempSync(join(tmpdir(), 'nova-renderer-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds without warnings and keeps theme-boot.js a relative classic script', async () => {
    const warnings: string[] = [];
    const logger = createLogger('warn', { allowClearScreen: false });
    logger.warn = (msg) => void warnings.push(msg);
    logger.warnOnce = (msg) => void warnings.push(msg);
    const root = resolve(import.meta.dirname, '..');
    await build({
      configFile: false,
      root,
      base: './', // as electron-vite builds the renderer
      logLevel: 'warn',
      customLogger: logger,
      plugins: [react()],
      build: { outDir: out, emptyOutDir: true, minify: false, reportCompressedSize: false, rollupOptions: { input: join(root, 'index.html') } },
    });
    expect(warnings).toEqual([]);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toMatch(/<script src="\.\/theme-boot\.js"><\/script>/);
    expect(html.indexOf('theme-boot.js')).toBeLessThan(html.indexOf('type="module"'));
    expect(existsSync(join(out, 'theme-boot.js'))).toBe(true);
  }, 120_000);
});
