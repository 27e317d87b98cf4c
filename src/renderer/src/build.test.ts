import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build, createLogger } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../main/security.js';
import { CSP } from '../../server/static.js';
import { THEME_BOOT_HASH, THEME_BOOT_SCRIPT } from '../../shared/csp.js';

// The renderer's production build (what `npm run build` ships and `nova serve` serves): no
// warnings, and the theme boot script stays inline in <head>, before the app's module, so the
// chosen theme paints first without a request blocking the parser; every CSP that serves the
// page (its meta tag, `nova serve`'s header, the Electron window's) allows it by its hash.
describe('renderer build', () => {
  const out = mkdtempSync(join(tmpdir(), 'nova-renderer-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('builds without warnings and keeps the theme boot script inline, allowed by its hash', async () => {
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
    const inline = `<script>${THEME_BOOT_SCRIPT}</script>`;
    expect(html).toContain(inline);
    expect(html.indexOf(inline)).toBeLessThan(html.indexOf('type="module"'));
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(THEME_BOOT_HASH).toBe(`'sha256-${createHash('sha256').update(THEME_BOOT_SCRIPT).digest('base64')}'`);
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    for (const csp of [meta, CSP, contentSecurityPolicy()]) expect(csp).toMatch(new RegExp(`script-src 'self' ${THEME_BOOT_HASH.replace(/[+/]/g, '\\$&')}[;]`));
  }, 120_000);
});
