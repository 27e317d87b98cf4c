// UI cold start (#24): a new `nova serve` process (the bundled CLI, as a user starts it) on a
// home with real created items, then a new browser context (empty HTTP cache) opening the
// dashboard in Debian Chromium on a headless weston:
// - ui-cold-serve-to-dashboard: from "Nova is serving on …" to the dashboard interactive (the
//   real counts shown and the navigation answering a click) — the goal, < 1 s;
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
const ITEMS = 20; // 10 capsules + 10 stopped VMs, created for real

/** Starts `nova serve` on a free port; resolves with its URL once it says it is serving. */
function startServe(env: NodeJS.ProcessEnv, tokenFile: string): Promise<{ child: ChildProcess; url: string; spawnedAt: number; upAt: number }> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nova.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Nova is serving on (http:\/\/\S+)/.exec(out);
      if (m) ok({ child, url: m[1]!, spawnedAt, upAt: performance.now() });
    });
    child.once('exit', (code) => fail(new Error(`nova serve exited (${code}) before serving: ${err.trim()}`)));
  });
}

/** When the dashboard shows `count` items and the navigation answers: in a new context, or in a new tab of `open`. */
async function dashboardInteractive(browser: Browser, url: string, token: string, count: number, open?: BrowserContext): Promise<number> {
  const context = open ?? (await browser.newContext({ viewport: { width: 1280, height: 760 } }));
  const page = await context.newPage();
  try {
    await page.goto(`${url}/#token=${token}`);
    // VMs, capsules and networks as the dashboard counts them: half each, no switch.
    const want = `${count / 2},${count / 2},0`;
    await page.waitForFunction((w) => Array.from(document.querySelectorAll('[data-testid="resource-counts"] .count'), (e) => e.textContent).join(',') === w, want, { timeout: 30_000 });
    // Interactive: a click on the navigation is handled (the VMs view replaces the dashboard).
    await page.getByTestId('nav-vms').click();
    await page.getByTestId('nav-vms').and(page.locator('[aria-current="page"]')).waitFor({ timeout: 30_000 });
    return performance.now();
  } finally {
    if (open) await page.close();
    else await context.close();
  }
}

async function blankLoad(browser: Browser, url: string): Promise<number> {
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

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html')) || !existsSync(join(ROOT, 'out', 'cli', 'nova.cjs'))) throw new Error('ui-cold needs the build: npm run build');
  const home = await mkdtemp(join(tmpdir(), 'nova-bench-ui-cold-'));
  const env = { ...process.env, NOVA_HOME: home };
  const tokenFile = join(home, 'token');
  const token = `bench-${process.pid}-${Date.now()}`;
  await writeFile(tokenFile, token, { mode: 0o600 });
  // Real items, made by an engine that is gone before the first serve starts.
  const paths = resolvePaths(env);
  const engine = createEngine({ env, paths });
  await growRealFleet((m, i) => engine.dispatcher.invoke(m, i), paths, busyboxRootfs(join(home, 'work')), 0, ITEMS);
  await engine.close();

  const weston = await startWeston();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: false, args: CHROMIUM_ARGS, env: { ...process.env, WAYLAND_DISPLAY: weston.socket, XDG_RUNTIME_DIR: weston.runtime } });
  const fromUp: number[] = [];
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
        const ready = await dashboardInteractive(browser, again.url, token, ITEMS, open);
        if (i > 0) inOpen.push(ready - again.upAt);
      } finally {
        await stopProcess(again.child);
      }
    }
  } finally {
    await browser.close();
    await weston.stop();
    const cleaner = createEngine({ env, paths });
    await removeRealFleet((m, i) => cleaner.dispatcher.invoke(m, i), ITEMS / 2);
    await cleaner.close();
    await rm(home, { recursive: true, force: true });
  }
  const up = spreadOf(fromUp);
  const all = spreadOf(fromSpawn);
  const b = spreadOf(blank.slice(1));
  const o = spreadOf(inOpen);
  return [
    await saveResult({
      name: 'ui-cold-serve-to-dashboard', metric: `new \`nova serve\` up → dashboard interactive (${ITEMS} real items, new browser context), median of ${RUNS}`, unit: 'ms',
      value: up.median, baseline: b.median, ratio: up.median / b.median, goal: '< 1000 ms', met: up.median < 1000, ...spreadFields(up, b), notes: 'baseline: a blank page in a new context of the same browser',
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
