import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildGpuFixture } from './gpu-fixture';

// One headless weston (a real Wayland compositor) and one `nova serve` (the real engine, empty
// NOVA_HOME) for the whole run. Tests read where they are from the env set here; teardown stops
// both by PID and removes the temp dirs.

const ROOT = resolve(import.meta.dirname, '..');

async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p?.pid || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((res) => {
    const kill9 = setTimeout(() => p.kill('SIGKILL'), 5_000);
    p.once('exit', () => {
      clearTimeout(kill9);
      res();
    });
    p.kill('SIGTERM');
  });
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('the renderer is not built: run `npm run build` first');
  const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const runtime = mkdtempSync(join(tmpdir(), 'nova-e2e-xdg-'));
  chmodSync(runtime, 0o700);
  const home = mkdtempSync(join(tmpdir(), 'nova-e2e-home-'));
  const socket = `nova-wl-${tag}`;
  const procs: ChildProcess[] = [];
  let output = '';

  const teardown = async () => {
    for (const p of procs.reverse()) await stop(p);
    rmSync(runtime, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  };

  try {
    const weston = spawn('weston', ['--backend=headless-backend.so', '--use-pixman', `--socket=${socket}`, '--width=1280', '--height=800', '--debug'], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    procs.push(weston);
    weston.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(`weston socket ${socket} (${output.slice(-300)})`, () => existsSync(join(runtime, socket)));

    const token = randomBytes(24).toString('base64url');
    const tokenFile = join(home, 'token');
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const sysfs = await buildGpuFixture(join(home, 'sysfs'));
    const serve = spawn(process.execPath, [join(ROOT, 'bin', 'nova.mjs'), 'serve', '--port', '0', '--token-file', tokenFile], {
      env: { ...process.env, NOVA_HOME: join(home, 'nova'), NOVA_SYSFS_ROOT: sysfs, XDG_RUNTIME_DIR: runtime },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: home,
    });
    procs.push(serve);
    let serveOut = '';
    serve.stdout!.on('data', (d: Buffer) => (serveOut += d.toString()));
    serve.stderr!.on('data', (d: Buffer) => (serveOut += d.toString()));
    await waitFor(`nova serve to print its URL (${serveOut.slice(-400)})`, () => /serving on (http:\/\/\S+)/.test(serveOut) || serve.exitCode !== null);
    const url = /serving on (http:\/\/\S+)/.exec(serveOut)?.[1];
    if (!url) throw new Error(`nova serve exited: ${serveOut}`);
    await waitFor('/healthz', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true);

    Object.assign(process.env, {
      NOVA_E2E_URL: url,
      NOVA_E2E_TOKEN: token,
      NOVA_E2E_HOME: home,
      NOVA_E2E_SYSFS: sysfs,
      NOVA_E2E_WAYLAND_DISPLAY: socket,
      NOVA_E2E_XDG_RUNTIME_DIR: runtime,
      NOVA_E2E_SERVE_PID: String(serve.pid),
      NOVA_E2E_WESTON_PID: String(weston.pid),
    });
    return teardown;
  } catch (e) {
    await teardown();
    throw e;
  }
}
