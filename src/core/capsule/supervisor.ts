import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../sys/atomic.js';
import { writeQuick } from './quickfile.js';
import type { NovaPaths } from '../sys/paths.js';
import { processMatches, readPidFile } from '../sys/proc.js';
import type { CapsuleLayout } from './layout.js';
import { privateMountNs, runtimeArgv } from './runtime.js';
import type { Runtime } from './runtime.js';
import { SUPERVISOR_SCRIPT } from './supervisor-script.js';

export const SUPERVISOR_MARK = 'nova-capsule-supervisor';
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/** Writes the supervisor program next to the runtime state (only when it changed). */
export async function supervisorScript(paths: NovaPaths): Promise<string> {
  const file = join(paths.runtime, 'capsules', `${SUPERVISOR_MARK}.mjs`);
  const current = await readFile(file, 'utf8').catch(() => '');
  if (current !== SUPERVISOR_SCRIPT) await writeFileAtomic(file, SUPERVISOR_SCRIPT, { mode: 0o644 });
  return file;
}

export interface SuperviseOptions {
  id: string;
  layout: CapsuleLayout;
  runtime: Runtime;
  restart: 'no' | 'on-failure' | 'always';
}

export interface LaunchedSupervisor {
  pid: number;
  /** Hands over the configuration: the supervisor starts the capsule once it has it. */
  go(o: SuperviseOptions): Promise<void>;
  /** Ends a supervisor that never got its configuration (start failed). */
  abort(): void;
}

/**
 * Starts the detached supervisor (its own session, nothing tied to us but its stdin) before the
 * capsule is prepared, so Node's start-up overlaps the overlay mount and config writing. It waits
 * for its configuration on stdin. On hybrid hosts with crun it runs in a private mount namespace;
 * `unshare` execs node, so the pid stays the supervisor's.
 */
export async function launchSupervisor(paths: NovaPaths, layout: CapsuleLayout, runtime: Runtime): Promise<LaunchedSupervisor> {
  const script = await supervisorScript(paths);
  // Keep the supervisor small: it only pipes logs and waits.
  const node = [process.execPath, '--max-old-space-size=16', '--max-semi-space-size=1', '--stack-size=256', script, layout.dir];
  const argv = runtime.hideUnified ? [...privateMountNs(), ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    cwd: layout.dir,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ELECTRON_RUN_AS_NODE: '1' },
  });
  const pid = child.pid;
  if (!pid) throw new Error('could not start the capsule supervisor');
  child.stdin!.on('error', () => undefined); // it may die before reading; waitRunning reports that
  child.unref();
  const release = () => (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    pid,
    async go(o) {
      const cfg = { id: o.id, runtime: runtimeArgv(o.runtime), bundle: o.layout.bundle, hideUnified: o.runtime.hideUnified, restart: o.restart, logMaxBytes: LOG_MAX_BYTES };
      // Also on disk (mode 0600): capsule.update changes the restart policy there.
      await writeQuick(o.layout.supervisorConfig, JSON.stringify(cfg), 0o600);
      await new Promise<void>((resolve) => child.stdin!.end(JSON.stringify(cfg), () => resolve()));
      release();
    },
    abort() {
      child.stdin!.destroy();
      release();
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}

/** The live supervisor's pid, verified against /proc/<pid>/cmdline (pids get reused). */
export async function supervisorPid(layout: CapsuleLayout): Promise<number | undefined> {
  const pid = await readPidFile(layout.supervisorPid);
  if (pid && (await processMatches(pid, [SUPERVISOR_MARK, layout.dir]))) return pid;
  return undefined;
}
