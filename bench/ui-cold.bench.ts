// UI cold start (#24): a new `nova serve` process (the bundled CLI, as a user starts it) on a
// home with real created items, then a new browser context (empty HTTP cache) opening the
// dashboard in Debian Chromium on a headless weston:
// - ui-cold-serve-to-dashboard: from "Nova is serving on …" to the dashboard interactive (the
//   real counts shown and the navigation answering a click) — the goal, < 1 s. Seen from inside
//   the page (a MutationObserver reports the counts and the view change with their in-page time,
//   through a CDP binding) and clicked as a user does (a raw mouse event at the link): Playwright's
//   own probes (waitForFunction, a locator's actionability checks: its injected script, ~0.2–0.4 s
//   of the cold page's main thread) would be counted otherwise;
// - ui-cold-serve-to-dashboard-playwright: the same with Playwright's waitForFunction and
//   locator.click (report: what the figure was before, probes included);
// - ui-cold-spawn-to-dashboard: the same from the spawn of `nova serve` (report);
// - ui-cold-open-browser-to-dashboard: a new tab in a browser context that is already open (as a
//   user's running browser: no new context, but no HTTP cache of this server either — every run's
//   `nova serve` listens on a new port, a new origin), against another new `nova serve` (report).
// Baseline: a blank page (/healthz) loaded in a new context of the same browser, same run.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
import { runsOr, spreadFields, spreadOf } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = runsOr(7);
export const ITEMS = 20; // 10 capsules + 10 stopped VMs, created for real

/** Starts `nova serve` on a free port; resolves with its URL once it says it is serving. */
export function startServe(env: NodeJS.ProcessEnv, tokenFile: string): Promise<{ child: ChildProcess; url: string; spawnedAt: number; upAt: number }> {
  const spawnedAt = Date.now(); // epoch ms, like the page's performance.timeOrigin + now()
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nova.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Nova is serving on (http:\/\/\S+)/.exec(out);
      if (m) ok({ child, url: m[1]!, spawnedAt, upAt: Date.now() });
    });
    child.once('exit', (code) => fail(new Error(`nova serve exited (${code}) before serving: ${err.trim()}`)));
  });
}

/** In the page before its scripts: reports the counts (with the link's centre) and the view change, with their times. */
const WATCH = (want: string) => `(() => {
  let counted = false;
  const at = () => performance.timeOrigin + performance.now();
  const mo = new MutationObserver(() => {
    if (!counted && Array.from(document.querySelectorAll('[data-testid="resource-counts"] .count'), (e) => e.textContent).join(',') === ${JSON.stringify(want)}) {
      counted = true;
      const r = document.querySelector('[data-testid="nav-vms"]').getBoundingClientRect();
      window.__novaCounts(at(), r.x + r.width / 2, r.y + r.height / 2, performance.timeOrigin);
    }
    if (counted && document.querySelector('[data-testid="nav-vms"][aria-current="page"]')) {
      mo.disconnect();
      window.__novaClicked(at());
    }
  });
  document.addEventListener('DOMContentLoaded', () => mo.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true }));
})();`;

const within = <T>(p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_r, fail) => setTimeout(() => fail(new Error(`ui-cold: no ${what} within 30 s`)), 30_000).unref())]);

/**
 * When (epoch ms) the dashboard shows `count` items and the navigation answers a click: in a new
 * context, or in a new tab of `open`. `playwright`: seen through waitForFunction and locator.click.
 */
export async function dashboardInteractive(browser: Browser, url: string, token: string, count: number, o: { open?: BrowserContext; playwright?: boolean; inPage?: (m: { origin: number; counts: number; clicked: number }) => void } = {}): Promise<number> {
  const context = o.open ?? (await browser.newContext({ viewport: { width: 1280, height: 760 } }));
  const page = await context.newPage();
  // VMs, capsules and networks as the dashboard counts them: half each, no switch.
  const want = `${count / 2},${count / 2},0`;
  try {
    if (o.playwright) {
      await page.goto(`${url}/#token=${token}`);
      await page.waitForFunction((w) => Array.from(document.querySelectorAll('[data-testid="resource-counts"] .count'), (e) => e.textContent).join(',') === w, want, { timeout: 30_000 });
      // Interactive: a click on the navigation is handled (the VMs view replaces the dashboard).
      await page.getByTestId('nav-vms').click();
      await page.getByTestId('nav-vms').and(page.locator('[aria-current="page"]')).waitFor({ timeout: 30_000 });
      return Date.now();
    }
    let shown!: (at: { x: number; y: number; t: number; origin: number }) => void;
    let handled!: (t: number) => void;
    const counts = new Promise<{ x: number; y: number; t: number; origin: number }>((r) => (shown = r));
    const clicked = new Promise<number>((r) => (handled = r));
    await page.exposeFunction('__novaCounts', (t: number, x: number, y: number, origin: number) => shown({ x, y, t, origin }));
    await page.exposeFunction('__novaClicked', (t: number) => handled(t));
    await page.addInitScript(WATCH(want));
    const nav = page.goto(`${url}/#token=${token}`); // counts may show before the load event
    const at = await within(counts, 'counts');
    await page.mouse.click(at.x, at.y); // a user's click: queued behind whatever the page is doing
    const t = await within(clicked, 'view change after the click');
    await nav;
    o.inPage?.({ origin: at.origin, counts: at.t, clicked: t });
    return t;
  } finally {
    if (o.open) await page.close();
    else await context.close();
  }
}

export async function blankLoad(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  try {
    const t = performance.now();
    const page = await context.newPage();
    await page.goto(`${url}/healthz`);
    return performance.now() - t;
  } finally {
    await context.close();
  }
}

export interface UiLab {
  home: string;
  env: NodeJS.ProcessEnv;
  tokenFile: string;
  browser: Browser;
  close(): Promise<void>;
}

/** A home with ITEMS real items (made by an engine gone before any serve starts), weston and Chromium on it. */
export async function openUiLab(prefix: string, token: string): Promise<UiLab> {
  const home = await mkdtemp(join(tmpdir(), prefix));
  const env = { ...process.env, NOVA_HOME: home };
  const tokenFile = join(home, 'token');
  await writeFile(tokenFile, token, { mode: 0o600 });
  const paths = resolvePaths(env);
  const engine = createEngine({ env, paths });
  await growRealFleet((m, i) => engine.dispatcher.invoke(m, i), paths, busyboxRootfs(join(home, 'work')), 0, ITEMS);
  await engine.close();
  const weston = await startWeston();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false, args: CHROMIUM_ARGS, env: { ...process.env, WAYLAND_DISPLAY: weston.socket, XDG_RUNTIME_DIR: weston.runtime } });
  return {
    home, env, tokenFile, browser,
    close: async () => {
      await browser.close();
      await weston.stop();
      const cleaner = createEngine({ env, paths });
      await removeRealFleet((m, i) => cleaner.dispatcher.invoke(m, i), ITEMS / 2);
      await cleaner.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html')) || !existsSync(join(ROOT, 'out', 'cli', 'nova.cjs'))) throw new Error('ui-cold needs the build: npm run build');
  const token = `bench-${process.pid}-${Date.now()}`;
  const lab = await openUiLab('nova-bench-ui-cold-', token);
  const { env, tokenFile, browser } = lab;
  const fromUp: number[] = [];
  const probed: number[] = [];
  const inOpen: number[] = [];
  const fromSpawn: number[] = [];
  const blank: number[] = [];
  const open = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  await (await open.newPage()).goto('about:blank');
  try {
    for (let i = 0; i <= RUNS; i++) {
      const serve = await startServe(env, tokenFile);
      try {
        const ready = await dashboardInteractive(browser, serve.url, token, ITEMS);
        blank.push(await blankLoad(browser, serve.url));
        if (i === 0) continue; // warm-up: the OS page cache, Chromium's first context
        fromUp.push(ready - serve.upAt);
        fromSpawn.push(ready - serve.spawnedAt);
      } finally {
        await stopProcess(serve.child);
      }
      const again = await startServe(env, tokenFile);
      try {
        const ready = await dashboardInteractive(browser, again.url, token, ITEMS, { open });
        if (i > 0) inOpen.push(ready - again.upAt);
      } finally {
        await stopProcess(again.child);
      }
      const third = await startServe(env, tokenFile);
      try {
        const ready = await dashboardInteractive(browser, third.url, token, ITEMS, { playwright: true });
        if (i > 0) probed.push(ready - third.upAt);
      } finally {
        await stopProcess(third.child);
      }
    }
  } finally {
    await lab.close();
  }
  const up = spreadOf(fromUp);
  const all = spreadOf(fromSpawn);
  const b = spreadOf(blank.slice(1));
  const o = spreadOf(inOpen);
  const p = spreadOf(probed);
  return [
    await saveResult({
      name: 'ui-cold-serve-to-dashboard', metric: `new \`nova serve\` up → dashboard interactive (${ITEMS} real items, new browser context), median of ${RUNS}`, unit: 'ms',
      value: up.median, baseline: b.median, ratio: up.median / b.median, goal: '< 1000 ms', met: up.median < 1000, ...spreadFields(up, b), notes: 'baseline: a blank page in a new context of the same browser',
    }),
    await saveResult({
      name: 'ui-cold-serve-to-dashboard-playwright', metric: `the same seen through Playwright's waitForFunction and locator.click (their injected script runs on the cold page's main thread), median of ${RUNS}`, unit: 'ms',
      value: p.median, baseline: b.median, ratio: p.median / b.median, goal: 'report', ...spreadFields(p, b), notes: 'the figure before 2026-12-04: probes included',
    }),
    await saveResult({
      name: 'ui-cold-spawn-to-dashboard', metric: `spawn of \`nova serve\` → dashboard interactive (${ITEMS} real items), median of ${RUNS}`, unit: 'ms',
      value: all.median, baseline: b.median, ratio: all.median / b.median, goal: 'report', ...spreadFields(all, b),
    }),
    await saveResult({
      name: 'ui-cold-open-browser-to-dashboard', metric: `new \`nova serve\` up → dashboard interactive in a new tab of an already-open browser context (${ITEMS} real items), median of ${RUNS}`, unit: 'ms',
      value: o.median, baseline: b.median, ratio: o.median / b.median, goal: 'report', ...spreadFields(o, b), notes: 'a user\'s browser is already running: no new context; still no HTTP cache (a new port each run)',
    }),
  ];
}
