import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build, createLogger } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../main/security.js';
import { CSP } from '../../server/static.js';
import { THEME_BOOT_HASH, THEME_BOOT_SCRIPT } from '../../shared/csp.js';
import { rendererCodeSplitting } from '../../../electron.vite.config.js';

// The renderer's production build (what `npm run build` ships and `nova serve` serves): no
// warnings, and the theme boot script stays inline in <head>, before the app's module, so the
// chosen theme paints first without a request blocking the parser; every CSP that serves the
// page (its meta tag, `nova serve`'s header, the Electron window's) allows it by its hash. The
// first view is one script (plus rolldown's tiny runtime), not ~20 chunks; the other views,
// recharts and Radix's dialog are not in it (#24).
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
      build: { outDir: out, emptyOutDir: true, minify: false, reportCompressedSize: false, rolldownOptions: { input: join(root, 'index.html'), output: { codeSplitting: rendererCodeSplitting } } },
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
    // The first view's scripts: what the page loads before anything is lazily imported.
    const first = [...html.matchAll(/<(?:script type="module"[^>]* src|link rel="modulepreload"[^>]* href)="\.\/assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(first.filter((f) => !f.startsWith('rolldown-runtime-'))).toEqual([expect.stringMatching(/^index-[\w-]+\.js$/)]);
    expect(first.length).toBeLessThanOrEqual(2);
    const entry = readFileSync(join(out, 'assets', first.find((f) => f.startsWith('index-'))!), 'utf8');
    expect(entry).not.toMatch(/recharts-responsive-container/); // recharts: loaded by HostGraphs once it has a line to draw
    expect(entry).not.toMatch(/data-radix-focus-guard/); // Radix's dialog: loaded with the first dialog asked for (App.tsx)
    expect(readdirSync(join(out, 'assets')).filter((f) => /^(VmsView|TopologyView|HostCharts)-.+\.js$/.test(f))).toHaveLength(3);
  }, 120_000);
});
