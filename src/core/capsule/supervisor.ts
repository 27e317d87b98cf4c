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

/**
 * Starts the detached supervisor (its own session, no stdio tied to us) and returns its pid.
 * On hybrid hosts with crun it runs in a private mount namespace; `unshare` execs node, so the
 * pid stays the supervisor's.
 */
export async function spawnSupervisor(paths: NovaPaths, o: SuperviseOptions): Promise<number> {
  const script = await supervisorScript(paths);
  const cfg = { id: o.id, runtime: runtimeArgv(o.runtime), bundle: o.layout.bundle, hideUnified: o.runtime.hideUnified, restart: o.restart, logMaxBytes: LOG_MAX_BYTES };
  await writeQuick(o.layout.supervisorConfig, JSON.stringify(cfg), 0o600);
  // Keep the supervisor small: it only pipes logs and waits.
  const node = [process.execPath, '--max-old-space-size=16', '--max-semi-space-size=1', '--stack-size=256', script, o.layout.dir];
  const argv = o.runtime.hideUnified ? [...privateMountNs(), ...node] : node;
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: true,
    stdio: 'ignore',
    cwd: o.layout.dir,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ELECTRON_RUN_AS_NODE: '1' },
  });
  const pid = child.pid;
  child.unref();
  if (!pid) throw new Error('could not start the capsule supervisor');
  return pid;
}

/** The live supervisor's pid, verified against /proc/<pid>/cmdline (pids get reused). */
export async function supervisorPid(layout: CapsuleLayout): Promise<number | undefined> {
  const pid = await readPidFile(layout.supervisorPid);
  if (pid && (await processMatches(pid, [SUPERVISOR_MARK, layout.dir]))) return pid;
  return undefined;
}
