import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A private headless weston (RECIPES.md): own XDG_RUNTIME_DIR, unique socket, stopped by PID.

export interface Weston {
  socket: string;
  runtime: string;
  pid: number;
  stop(): Promise<void>;
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function stopProcess(p: ChildProcess | undefined): Promise<void> {
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

export async function startWeston(): Promise<Weston> {
  const runtime = mkdtempSync(join(tmpdir(), 'nova-e2e-xdg-'));
  chmodSync(runtime, 0o700);
  const socket = `nova-wl-${process.pid}-${randomBytes(3).toString('hex')}`;
  const proc = spawn('weston', ['--backend=headless-backend.so', '--use-pixman', `--socket=${socket}`, '--width=1280', '--height=800', '--debug'], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtime },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-2000)));
  const stop = async () => {
    await stopProcess(proc);
    rmSync(runtime, { recursive: true, force: true });
  };
  try {
    await waitFor(`weston socket ${socket}`, () => existsSync(join(runtime, socket)) || proc.exitCode !== null);
    if (proc.exitCode !== null) throw new Error(`weston exited: ${log}`);
  } catch (e) {
    await stop();
    throw e;
  }
  return { socket, runtime, pid: proc.pid!, stop };
}
