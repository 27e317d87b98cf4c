// `npm start` for real: scripts/start.mjs with a stand-in Electron binary, and without one on a
// headless weston where it must open Chromium as a Wayland client of `nova serve`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { hostname as hostnameOf, tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHost } from '../test/host.js';

const ROOT = join(import.meta.dirname, '..', '..');
const START = join(ROOT, 'scripts', 'start.mjs');
const run = promisify(execFile);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const until = async <T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms: number): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('npm start with an Electron binary present (ELECTRON_OVERRIDE_DIST_PATH stand-in)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nova-fake-electron-'));
    // The stand-in records how it was started, like a real Electron would be.
    await writeFile(join(dir, 'electron'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\nexit 0\n`);
    await chmod(join(dir, 'electron'), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('chooses Electron and passes the Wayland switches and the app folder', async () => {
    const env = { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: dir, WAYLAND_DISPLAY: 'wayland-test' };
    const { stdout } = await run(process.execPath, [START, '--no-build', '--trace-warnings'], { cwd: ROOT, env, timeout: 60_000 });
    expect(stdout).toContain(`Starting the Nova desktop app (Electron at ${join(dir, 'electron')})`);
    const argv = (await readFile(join(dir, 'argv'), 'utf8')).trim().split('\n');
    expect(argv[0]).toBe(ROOT);
    expect(argv).toEqual(expect.arrayContaining(['--ozone-platform-hint=auto', '--enable-features=WaylandWindowDecorations', '--class=nova', '--trace-warnings']));
  });
});

describeHost('npm start without Electron opens Chromium on Wayland', { tools: ['weston', 'weston-debug', 'chromium'] }, () => {
  let runtime: string;
  let weston: ChildProcess;
  let launcher: ChildProcess | undefined;
  let out = '';
  const socket = `nova-start-${process.pid}`;
  const cdpPort = 19_000 + (process.pid % 1000);
  const sceneGraph = () => {
    try {
      return execFileSync('weston-debug', ['scene-graph'], { env: { ...process.env, XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: socket }, timeout: 5000 }).toString();
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html')) || !existsSync(join(ROOT, 'out', 'cli', 'nova.cjs'))) {
      await run('npm', ['run', 'build', '--silent'], { cwd: ROOT, timeout: 120_000 });
    }
    runtime = await mkdtemp(join(tmpdir(), 'nova-xdg-'));
    await chmod(runtime, 0o700);
    weston = spawn('weston', ['--backend=headless-backend.so', '--use-pixman', `--socket=${socket}`, '--width=1280', '--height=800', '--debug', '--idle-time=0'], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
      stdio: 'ignore',
    });
    await until('weston socket', () => existsSync(join(runtime, socket)), 20_000);
  });
  afterAll(async () => {
    if (launcher?.pid && alive(launcher.pid)) launcher.kill('SIGKILL');
    if (weston?.pid) weston.kill('SIGTERM');
    await rm(runtime, { recursive: true, force: true });
  });

  it('says so, serves the UI, and maps a Chromium xdg_toplevel titled Nova; Ctrl+C stops everything', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: socket, NOVA_HOME: join(runtime, 'home') };
    delete env.DISPLAY;
    delete env.ELECTRON_OVERRIDE_DIST_PATH;
    // The installer runs for real but can only reach a closed loopback port: it fails at once.
    env.ELECTRON_MIRROR = 'http://127.0.0.1:9/';
    // DevTools on loopback so the test can look inside the window it opened.
    env.NOVA_BROWSER_ARGS = `--remote-debugging-port=${cdpPort}`;
    launcher = spawn(process.execPath, [START, '--no-build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    launcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (out += d.toString()));

    const pid = Number(await until('the browser to start', () => /browser pid (\d+)/.exec(out)?.[1], 60_000));
    const profile = /--user-data-dir=(\S+)\/profile/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))![1]!;
    expect(out).toContain('the Electron installer failed');
    expect(out).toMatch(/Electron is not available .*: serving the UI with `nova serve` and opening it in \S*chromium as a Wayland app window/);
    const server = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;

    // A real Wayland client: weston lists the window as an xdg_toplevel owned by that chromium.
    const view = await until('an xdg_toplevel from chromium', () => sceneGraph().split('\n').find((l) => l.includes('role xdg_toplevel') && l.includes(`PID ${pid},`) && l.includes("'Nova'")), 45_000);
    expect(view).toContain("top-level window 'Nova'");
    // The server the window talks to is up and requires the token.
    expect((await fetch(`${server}/healthz`)).status).toBe(200);
    expect((await fetch(`${server}/rpc`, { method: 'POST', body: '{}' })).status).toBe(401);

    // Inside the window: our page, the token handed over in the URL fragment (and removed from
    // the address), and the engine answering host.info with it.
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`);
    try {
      const page = await until('the app page', () => browser.contexts().flatMap((c) => c.pages()).find((p) => p.url().startsWith(server)), 20_000);
      await page.waitForFunction(() => sessionStorage.getItem('nova.token'), undefined, { timeout: 20_000 });
      expect(page.url()).not.toContain('token=');
      const hostname = await page.evaluate(async () => {
        const r = await fetch('/rpc', { method: 'POST', headers: { authorization: `Bearer ${sessionStorage.getItem('nova.token')}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host.info', params: {} }) });
        return ((await r.json()) as { result?: { hostname: string } }).result?.hostname;
      });
      expect(hostname).toBe(hostnameOf());
    } finally {
      await browser.close().catch(() => undefined);
    }

    // A second `npm start` opens another window of the running one, not a second server.
    const second = await run(process.execPath, [START, '--no-build'], { cwd: ROOT, env, timeout: 60_000 });
    expect(second.stdout).toMatch(/Nova is already open \(launcher pid \d+, server http:\/\/127\.0\.0\.1:\d+\): opening another window/);
    await until('a second window of the same browser', () => sceneGraph().split('\n').filter((l) => l.includes('role xdg_toplevel') && l.includes(`PID ${pid},`)).length === 2, 30_000);

    launcher.kill('SIGINT');
    await until('the launcher to exit', () => launcher!.exitCode !== null || launcher!.signalCode !== null, 20_000);
    await until('chromium to exit', () => !alive(pid), 20_000);
    await until('the server to stop', async () => fetch(`${server}/healthz`).then(() => false, () => true), 20_000);
    expect(existsSync(join(runtime, 'home', 'run', 'launcher.json'))).toBe(false);
    // Its temp folder (token file, browser profile) is gone too.
    await until('the launcher folder to be removed', () => !existsSync(profile), 30_000);
  });
});
