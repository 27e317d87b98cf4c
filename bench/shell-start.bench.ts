// `npm start` without Electron: time from launch to a mapped Wayland window titled "Nova" on a
// headless weston, against the raw tool — `chromium --app=<url>` on an already running
// `nova serve` — in the same run. The difference is what the launcher adds (installer attempt,
// starting the engine's server, handing over the token).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/core/engine.js';
import { resolvePaths } from '../src/core/sys/paths.js';
import { browserArgs } from '../src/launcher/plan.js';
import { startServer } from '../src/server/server.js';
import { rendererDir } from '../src/cli/commands/serve.js';
import { percentile, saveResult } from './types.js';
import type { BenchResult } from './types.js';

const ROOT = join(import.meta.dirname, '..');
const RUNS = 3;

function windowMapped(runtime: string, socket: string, pid?: number): boolean {
  try {
    const g = execFileSync('weston-debug', ['scene-graph'], { env: { ...process.env, XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: socket }, timeout: 5000 }).toString();
    return g.split('\n').some((l) => l.includes('role xdg_toplevel') && l.includes("'Nova'") && (pid === undefined || l.includes(`PID ${pid},`)));
  } catch {
    return false;
  }
}

async function timeToWindow(start: () => ChildProcess, runtime: string, socket: string): Promise<number> {
  const t = performance.now();
  const child = start();
  try {
    for (;;) {
      if (windowMapped(runtime, socket)) return performance.now() - t;
      if (performance.now() - t > 60_000) throw new Error('no window within 60 s');
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    // Let the compositor drop the window before the next run.
    for (let i = 0; i < 100 && windowMapped(runtime, socket); i++) await new Promise((r) => setTimeout(r, 50));
  }
}

export async function run(): Promise<BenchResult[]> {
  if (!existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) throw new Error('run `npm run build` first');
  const runtime = await mkdtemp(join(tmpdir(), 'nova-bench-xdg-'));
  await chmod(runtime, 0o700);
  const socket = `nova-bench-${process.pid}`;
  const weston = spawn('weston', ['--backend=headless-backend.so', '--use-pixman', `--socket=${socket}`, '--width=1280', '--height=800', '--debug', '--idle-time=0'], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtime },
    stdio: 'ignore',
  });
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: runtime, WAYLAND_DISPLAY: socket, NOVA_HOME: join(runtime, "home"), ELECTRON_MIRROR: "http://127.0.0.1:9/" };
  delete env.DISPLAY;
  const engine = createEngine({ env, paths: resolvePaths(env) }, []);
  const server = await startServer({ engine, staticDir: rendererDir() });
  try {
    for (let i = 0; i < 100 && !existsSync(join(runtime, socket)); i++) await new Promise((r) => setTimeout(r, 100));
    const launcher: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      launcher.push(await timeToWindow(() => spawn(process.execPath, [join(ROOT, 'scripts', 'start.mjs'), '--no-build'], { cwd: ROOT, env, stdio: 'ignore' }), runtime, socket));
      const profile = await mkdtemp(join(tmpdir(), 'nova-bench-profile-'));
      raw.push(await timeToWindow(() => spawn('chromium', browserArgs('wayland', `${server.url}/#token=${server.token}`, profile, { root: process.getuid?.() === 0 }), { env, stdio: 'ignore' }), runtime, socket));
      await rm(profile, { recursive: true, force: true });
    }
    const value = percentile(launcher, 50);
    const baseline = percentile(raw, 50);
    return [
      await saveResult({
        name: 'shell-start-to-window',
        metric: '`npm start` (no Electron) to a mapped Wayland window, median of 3',
        unit: 'ms',
        value,
        baseline,
        ratio: value / baseline,
        goal: '< 5000 ms',
        met: value < 5000,
        notes: `raw = chromium --app on a running nova serve; runs ${launcher.map((v) => v.toFixed(0)).join('/')} vs ${raw.map((v) => v.toFixed(0)).join('/')} ms`,
      }),
    ];
  } finally {
    await server.close();
    await engine.close();
    weston.kill('SIGTERM');
    await rm(runtime, { recursive: true, force: true });
  }
}
