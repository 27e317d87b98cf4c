// `npm start` for real: scripts/start.mjs with a stand-in Electron binary, and without one on a
// headless weston where it must open Chromium as a Wayland client of `nova serve`.
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname as hostnameOf, tmpdir } from 'node:os';
import { chromium } from 'playwright-core';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHost } from '../test/host.js';
import { electronMemoFile } from './electron-memo.js';
import { asUser, TestUsers } from '../test/users.js';

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
    expect(argv).toEqual(expect.arrayContaining(['--ozone-platform-hint=auto', '--enable-features=WaylandWindowDecorations', '--class=org.nova.Nova', '--trace-warnings']));
  });
});

describeHost('npm start without Electron opens Chromium on Wayland', { root: true, tools: ['weston', 'weston-debug', 'chromium', 'useradd', 'setpriv'] }, () => {
  let runtime: string;
  let weston: ChildProcess;
  let launcher: ChildProcess | undefined;
  let out = '';
  let launcherEnv: NodeJS.ProcessEnv = {};
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

  let pid = 0;
  let server = '';
  let launcherDir = '';
  const descendants = (root: number): number[] => {
    const parent = new Map<number, number>();
    for (const d of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
      try {
        parent.set(Number(d), Number(readFileSync(`/proc/${d}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]));
      } catch {
        /* gone meanwhile */
      }
    }
    const all = [root];
    for (let grew = true; grew; ) {
      grew = false;
      for (const [p, pp] of parent) if (all.includes(pp) && !all.includes(p)) grew = all.push(p) > 0;
    }
    return all;
  };

  it('says so, serves the UI, and maps a Chromium xdg_toplevel titled Nova', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: socket, NOVA_HOME: join(runtime, 'home') };
    delete env.DISPLAY;
    delete env.ELECTRON_OVERRIDE_DIST_PATH;
    // The installer runs for real but can only reach a closed loopback port: it fails at once.
    env.ELECTRON_MIRROR = 'http://127.0.0.1:9/';
    // DevTools on loopback so the test can look inside the window it opened.
    env.NOVA_BROWSER_ARGS = `--remote-debugging-port=${cdpPort}`;
    launcherEnv = env;
    launcher = spawn(process.execPath, [START, '--no-build'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    launcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    launcher.stderr!.on('data', (d: Buffer) => (out += d.toString()));

    pid = Number(await until('the browser to start', () => /browser pid (\d+)/.exec(out)?.[1], 60_000));
    launcherDir = /--user-data-dir=(\S+)\/profile/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '))![1]!;
    expect(out).toContain('the Electron installer failed');
    // Remembered: the next start does not wait for the same failure (`--retry-electron` forgets it).
    expect(JSON.parse(readFileSync(electronMemoFile(env), 'utf8'))).toMatchObject({ reason: expect.stringMatching(/\S/) });
    expect(out).toMatch(/Electron is not available .*: serving the UI with `nova serve` and opening it in \S*chromium as a Wayland app window/);
    server = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1]!;

    // A real Wayland client: weston lists the window as an xdg_toplevel owned by that chromium.
    const view = await until('an xdg_toplevel from chromium', () => sceneGraph().split('\n').find((l) => l.includes('role xdg_toplevel') && l.includes(`PID ${pid},`) && l.includes("'Nova'")), 45_000);
    expect(view).toContain("top-level window 'Nova'");
    // The server the window talks to is up and requires the token.
    expect((await fetch(`${server}/healthz`)).status).toBe(200);
    expect((await fetch(`${server}/rpc`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('signs the window in with a one-time code: no token in its URL, the engine answers through the session cookie', async () => {
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`);
    try {
      const page = await until('the app page', () => browser.contexts().flatMap((c) => c.pages()).find((p) => p.url().startsWith(server)), 20_000);
      expect(page.url()).toBe(`${server}/`);
      const hostname = await page.evaluate(async () => {
        const r = await fetch('/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'host.info', params: {} }) });
        return ((await r.json()) as { result?: { hostname: string } }).result?.hostname;
      });
      expect(hostname).toBe(hostnameOf());
      // The cookie is invisible to the page's scripts.
      expect(await page.evaluate(() => document.cookie)).toBe('');
    } finally {
      await browser.close().catch(() => undefined);
    }
  });

  it('another local user finds neither the token nor the sign-in code in any process the launcher started, and the used code is worthless', async () => {
    const token = readFileSync(join(launcherDir, 'token'), 'utf8').trim();
    const page = readFileSync(join(launcherDir, 'sign-in.html'), 'utf8');
    const code = decodeURIComponent(/code=([^"]+)"/.exec(page)![1]!);
    expect(token.length).toBeGreaterThan(20);
    expect(code.length).toBeGreaterThan(20);
    const pids = descendants(launcher!.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(3); // launcher, nova serve, chromium (+ its helpers)

    // Root sees everything (cmdline and environ): the secrets are in neither, for any of them.
    for (const p of pids) {
      for (const f of ['cmdline', 'environ']) {
        const text = (() => {
          try {
            return readFileSync(`/proc/${p}/${f}`, 'latin1');
          } catch {
            return '';
          }
        })();
        expect(text.includes(token), `token in /proc/${p}/${f}`).toBe(false);
        expect(text.includes(code), `code in /proc/${p}/${f}`).toBe(false);
      }
    }

    // The same sweep as an unprivileged stranger, who also tries the sign-in page named on
    // Chromium's command line. The secrets reach the reader on stdin, never on its argv.
    const users = new TestUsers();
    try {
      const stranger = users.add(`nvs${process.pid % 100000}`);
      const reader = `
        const secrets = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
        const r = { readable: 0, found: [], pageReadable: false };
        for (const p of process.argv.slice(1)) for (const f of ['cmdline', 'environ']) {
          let t; try { t = require('fs').readFileSync('/proc/' + p + '/' + f, 'latin1'); } catch { continue; }
          r.readable++;
          if (secrets.some((s) => t.includes(s))) r.found.push(p + '/' + f);
          const app = /--app=file:\\/\\/(\\S+?)\\0/.exec(t);
          if (app) try { require('fs').readFileSync(decodeURI(app[1])); r.pageReadable = true; } catch {}
        }
        process.stdout.write(JSON.stringify(r));`;
      const [cmd, ...args] = [...asUser(stranger), process.execPath, '-e', reader, ...pids.map(String)];
      const seen = JSON.parse(execFileSync(cmd!, args, { input: `${token}\n${code}\n`, encoding: 'utf8' })) as { readable: number; found: string[]; pageReadable: boolean };
      expect(seen.readable).toBeGreaterThanOrEqual(pids.length); // every cmdline was readable to them
      expect(seen.found).toEqual([]);
      expect(seen.pageReadable).toBe(false);
    } finally {
      users.cleanup();
    }

    // The code was spent by the window: trading it again gives nothing.
    const again = await fetch(`${server}/session?code=${encodeURIComponent(code)}`, { redirect: 'manual' });
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('a second npm start opens another window of the running one; Ctrl+C stops everything', async () => {
    const second = await run(process.execPath, [START, '--no-build'], { cwd: ROOT, env: launcherEnv, timeout: 60_000 });
    expect(second.stdout).toMatch(/Nova is already open \(launcher pid \d+, server http:\/\/127\.0\.0\.1:\d+\): opening another window/);
    await until('a second window of the same browser', () => sceneGraph().split('\n').filter((l) => l.includes('role xdg_toplevel') && l.includes(`PID ${pid},`)).length === 2, 30_000);

    launcher!.kill('SIGINT');
    await until('the launcher to exit', () => launcher!.exitCode !== null || launcher!.signalCode !== null, 20_000);
    await until('chromium to exit', () => !alive(pid), 20_000);
    await until('the server to stop', async () => fetch(`${server}/healthz`).then(() => false, () => true), 20_000);
    expect(existsSync(join(runtime, 'home', 'run', 'launcher.json'))).toBe(false);
    // Its temp folder (token file, sign-in page, browser profile) is gone too.
    await until('the launcher folder to be removed', () => !existsSync(launcherDir), 30_000);
  });
});
