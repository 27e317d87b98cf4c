// Where the UI cold start goes (#24): one or more cold starts of `nova serve` + the dashboard, each
// broken down from inside the page (navigation and resource timing, paints, long animation
// frames with their scripts, every JSON-RPC call's send → reply over the WebSocket) and, with
// PROBE_TRACE=1, a Chromium performance trace (bench/results/ui-cold-trace-N.json, open it in
// chrome://tracing or Perfetto). Not a bench (no *.bench.ts): run it by hand after `npm run build`,
//   flock /tmp/nova-heavy.lock node --import tsx bench/ui-cold-probe.ts [runs]
// PROBE_HOME=dir reuses a home made by an earlier run (kept when given), PROBE_CPU_PROF=1 adds
// `--cpu-prof` to `nova serve` (profiles in the home's prof/ folder).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS } from '../e2e/chromium-args.js';
import { startWeston, stopProcess } from '../e2e/weston.js';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { growRealFleet, removeRealFleet } from './real-fleet.js';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 3);
const ITEMS = 20;
const TRACE = process.env.PROBE_TRACE === '1';

/** Wraps WebSocket in the page: every JSON-RPC request's method, send and reply times. */
const RPC_SPY = `(() => {
  const W = window.WebSocket;
  const calls = (window.__rpc = []);
  const pending = new Map();
  window.WebSocket = class extends W {
    constructor(...a) {
      super(...a);
      window.__wsNew = window.__wsNew ?? performance.now();
      this.addEventListener('open', () => (window.__wsOpen = window.__wsOpen ?? performance.now()));
      this.addEventListener('message', (m) => {
        try { const j = JSON.parse(String(m.data)); const c = pending.get(j.id); if (c) { c.reply = performance.now(); c.bytes = String(m.data).length; pending.delete(j.id); } } catch {}
      });
    }
    send(d) {
      try { const j = JSON.parse(String(d)); if (j.id !== undefined) { const c = { method: j.method, sent: performance.now() }; calls.push(c); pending.set(j.id, c); } } catch {}
      return super.send(d);
    }
  };
  window.__marks = {};
  const mo = new MutationObserver(() => {
    const m = window.__marks;
    if (!m.counts) { const t = Array.from(document.querySelectorAll('[data-testid="resource-counts"] .count'), (e) => e.textContent).join(','); if (t === window.__want) m.counts = performance.now(); }
    if (!m.root && document.querySelector('[data-testid="view-dashboard"]')) m.root = performance.now();
    if (!m.current && document.querySelector('[data-testid="nav-vms"][aria-current="page"]')) m.current = performance.now();
  });
  document.addEventListener('DOMContentLoaded', () => mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true }));
  addEventListener('pointerdown', () => (window.__marks.pointerdown ??= performance.now()), true);
  addEventListener('click', () => (window.__marks.click ??= performance.now()), true);
  window.__loaf = [];
  try { new PerformanceObserver((l) => window.__loaf.push(...l.getEntries().map((e) => ({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration, render: e.renderStart, style: e.styleAndLayoutStart, scripts: e.scripts.map((s) => ({ src: (s.sourceURL || '').split('/').pop(), fn: s.sourceFunctionName, invoker: s.invoker, dur: s.duration, forcedLayout: s.forcedStyleAndLayoutDuration })) })))).observe({ type: 'long-animation-frame', buffered: true }); } catch {}
})();`;

function startServe(env: NodeJS.ProcessEnv, tokenFile: string, extra: string[]): Promise<{ child: ChildProcess; url: string; spawnedAt: number; upAt: number; lines: string[] }> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [...extra, join(ROOT, 'bin', 'nova.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  return new Promise((ok, fail) => {
    let out = '';
    child.stderr!.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean).map((l) => `${(performance.now() - spawnedAt).toFixed(0)} ms ${l}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Nova is serving on (http:\/\/\S+)/.exec(out);
      if (m) ok({ child, url: m[1]!, spawnedAt, upAt: performance.now(), lines });
    });
    child.once('exit', (code) => fail(new Error(`nova serve exited (${code}) before serving: ${lines.join('\n')}`)));
  });
}

async function probe(browser: Browser, shared: BrowserContext, url: string, token: string, upAt: number, n: number, fresh: boolean): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const context = fresh ? await browser.newContext({ viewport: { width: 1280, height: 760 } }) : shared;
  const tContext = performance.now();
  try {
    const page = await context.newPage();
    await page.addInitScript(`window.__want = '${ITEMS / 2},${ITEMS / 2},0';${RPC_SPY}`);
    const tPage = performance.now();
    if (TRACE && fresh) await browser.startTracing(page, { path: join(ROOT, 'bench', 'results', `ui-cold-trace-${n}.json`), screenshots: false });
    const tGoto = performance.now();
    await page.goto(`${url}/#token=${token}`);
    const want = `${ITEMS / 2},${ITEMS / 2},0`;
    await page.waitForFunction((w) => Array.from(document.querySelectorAll('[data-testid="resource-counts"] .count'), (e) => e.textContent).join(',') === w, want, { timeout: 30_000, polling: 'raf' });
    const tCounts = performance.now();
    await page.getByTestId('nav-vms').click();
    await page.getByTestId('nav-vms').and(page.locator('[aria-current="page"]')).waitFor({ timeout: 30_000 });
    const tReady = performance.now();
    if (TRACE && fresh) await browser.stopTracing();
    const inPage = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const res = (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({
        name: r.name.split('/').pop(), start: Math.round(r.startTime), reqStart: Math.round(r.requestStart), ttfb: Math.round(r.responseStart - r.requestStart), end: Math.round(r.responseEnd), size: r.encodedBodySize,
      }));
      const paints = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, Math.round(p.startTime)]));
      const w = window as unknown as { __marks: Record<string, number>; __rpc: { method: string; sent: number; reply?: number; bytes?: number }[]; __loaf: unknown[]; __wsNew?: number; __wsOpen?: number };
      return {
        nav: { reqStart: Math.round(nav.requestStart), ttfb: Math.round(nav.responseStart), htmlEnd: Math.round(nav.responseEnd), domInteractive: Math.round(nav.domInteractive), dcl: Math.round(nav.domContentLoadedEventEnd), load: Math.round(nav.loadEventEnd) },
        marks: Object.fromEntries(Object.entries(w.__marks).map(([k, v]) => [k, Math.round(v)])), paints, resources: res, wsNew: w.__wsNew && Math.round(w.__wsNew), wsOpen: w.__wsOpen && Math.round(w.__wsOpen),
        rpc: w.__rpc.map((c) => ({ method: c.method, sent: Math.round(c.sent), reply: c.reply && Math.round(c.reply), ms: c.reply && Math.round(c.reply - c.sent), bytes: c.bytes })),
        loaf: w.__loaf,
      };
    });
    await page.close();
    return {
      run: n, fresh, upToGotoStart: Math.round(tGoto - upAt), context: Math.round(tContext - t0), newPage: Math.round(tPage - tContext),
      gotoToCounts: Math.round(tCounts - tGoto), gotoToReady: Math.round(tReady - tGoto), upToReady: Math.round(tReady - upAt), ...inPage,
    };
  } finally {
    if (fresh) await context.close();
  }
}

const home = process.env.PROBE_HOME ?? (await mkdtemp(join(tmpdir(), 'nova-probe-ui-cold-')));
const env = { ...process.env, NOVA_HOME: home };
const tokenFile = join(home, 'token');
const token = `probe-${process.pid}`;
await writeFile(tokenFile, token, { mode: 0o600 });
const paths = resolvePaths(env);
if (!existsSync(join(home, '.fleet'))) {
  const engine = createEngine({ env, paths });
  await growRealFleet((m, i) => engine.dispatcher.invoke(m, i), paths, busyboxRootfs(join(home, 'work')), 0, ITEMS);
  await engine.close();
  await writeFile(join(home, '.fleet'), '');
}
const prof = join(home, 'prof');
if (process.env.PROBE_CPU_PROF === '1') await mkdir(prof, { recursive: true });
const extra = process.env.PROBE_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
const weston = await startWeston();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false, args: CHROMIUM_ARGS, env: { ...process.env, WAYLAND_DISPLAY: weston.socket, XDG_RUNTIME_DIR: weston.runtime } });
const shared = await browser.newContext({ viewport: { width: 1280, height: 760 } });
await (await shared.newPage()).goto('about:blank');
try {
  for (let i = 0; i <= RUNS; i++) {
    for (const fresh of [true, false]) {
      const serve = await startServe(env, tokenFile, extra);
      try {
        const r = await probe(browser, shared, serve.url, token, serve.upAt, i, fresh);
        r.spawnToUp = Math.round(serve.upAt - serve.spawnedAt);
        r.serveStderr = serve.lines;
        console.log(JSON.stringify(r));
      } finally {
        await stopProcess(serve.child);
      }
    }
  }
} finally {
  await browser.close();
  await weston.stop();
  if (!process.env.PROBE_HOME) {
    const cleaner = createEngine({ env, paths });
    await removeRealFleet((m, i) => cleaner.dispatcher.invoke(m, i), ITEMS / 2);
    await cleaner.close();
    await rm(home, { recursive: true, force: true });
  }
}
process.exit(0);
