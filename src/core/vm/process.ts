// Host processes of a VM: QEMU daemonized with a pidfile, swtpm before it, free loopback ports,
// waiting for exit, and the last-resort kill. Everything by pid, never by name.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, open, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { NovaError } from '../../shared/errors.js';
import { pidAlive, processMatches, readPidFile } from '../sys/proc.js';
import type { Runner } from '../sys/runner.js';

/** An unused TCP port on 127.0.0.1 (the kernel picks it; we release it for QEMU right away). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Runs the daemonizing QEMU: returns when the parent exits (the VM is set up and detached). With
 * -D, QEMU prints even its start-up errors to `log`, not to stderr.
 */
export async function launchQemu(runner: Runner, argv: string[], pidfile: string, log: string): Promise<number> {
  const r = await runner.run(argv, { timeoutMs: 60_000, allowFailure: true });
  if (r.exitCode !== 0) {
    const printed = `${r.stderr}\n${await readFile(log, 'utf8').catch(() => '')}`;
    const msg = printed.split('\n').map((l) => l.replace(/^[\d\-T:.]+ /, '')).filter(Boolean).join('; ');
    throw new NovaError('INTERNAL', `QEMU refused to start: ${msg || `exit ${r.exitCode}`}`, { argv, stderr: printed });
  }
  const pid = await readPidFile(pidfile);
  if (!pid) throw new NovaError('INTERNAL', `QEMU started but wrote no pidfile at ${pidfile}`);
  return pid;
}

/**
 * Starts a QEMU that does not daemonize itself (a confined one may not fork): detached in its
 * own session, output to `log`. Ready when it wrote its pidfile and its QMP socket accepts a
 * connection (the file appears at bind(), a moment before listen()); an early exit is reported
 * with what it printed.
 */
export async function launchQemuDetached(argv: string[], paths: { pidfile: string; qmp: string; log: string }): Promise<number> {
  const out = await open(paths.log, 'w', 0o600);
  const st: { exited?: number } = {};
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', out.fd, out.fd] });
    child.on('exit', (code, signal) => (st.exited = code ?? (signal ? 128 : 1)));
    child.on('error', () => (st.exited = 127));
    child.unref();
    const deadline = Date.now() + 60_000;
    for (;;) {
      const pid = st.exited === undefined ? await readPidFile(paths.pidfile) : undefined;
      if (pid && (await accepts(paths.qmp))) return pid;
      if (st.exited !== undefined || Date.now() > deadline) {
        if (st.exited === undefined) child.kill('SIGKILL');
        const msg = (await readFile(paths.log, 'utf8').catch(() => '')).split('\n').map((l) => l.replace(/^[\d\-T:.]+ /, '')).filter(Boolean).join('; ');
        throw new NovaError('INTERNAL', `QEMU refused to start: ${msg || (st.exited === undefined ? 'no pidfile and QMP socket after 60 s' : `exit ${st.exited}`)}`, { argv, stderr: msg });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await out.close();
  }
}

/** True when something listens on the unix socket (the probe closes right away). */
function accepts(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const sock = createConnection(path);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid) || (await isZombieOrGone(pid))) return true;
    await new Promise((r) => setTimeout(r, 40));
  }
  return !pidAlive(pid);
}

async function isZombieOrGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return true;
  return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** SIGKILL a pid only while its cmdline still shows what we expect (pids get reused). */
export async function killVerified(pid: number, needles: string[], signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (await processMatches(pid, needles)) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export interface SwtpmPaths {
  stateDir: string;
  socket: string;
  pidfile: string;
  log: string;
  /** swtpm drops to this user after making its socket (the TPM state must be theirs). */
  runAs?: string;
}

/**
 * swtpm (TPM 2.0 emulator) is started before QEMU and stops after it: `--terminate` makes it
 * exit when QEMU closes the control channel, and stopSwtpm() covers every other path.
 */
export async function startSwtpm(runner: Runner, p: SwtpmPaths): Promise<number> {
  await mkdir(p.stateDir, { recursive: true, mode: 0o700 });
  await mkdir(dirname(p.socket), { recursive: true, mode: 0o700 });
  await rm(p.socket, { force: true });
  await runner.run(
    ['swtpm', 'socket', '--tpm2', '--tpmstate', `dir=${p.stateDir},mode=0600`, '--ctrl', `type=unixio,path=${p.socket}`,
      '--pid', `file=${p.pidfile}`, '--log', `file=${p.log},level=1`, '--terminate', '--daemon', ...(p.runAs ? ['--runas', p.runAs] : [])],
    { timeoutMs: 15_000 },
  );
  const deadline = Date.now() + 5000;
  while (!existsSync(p.socket)) {
    if (Date.now() > deadline) throw new NovaError('INTERNAL', `swtpm did not create ${p.socket}; see ${p.log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const pid = await readPidFile(p.pidfile);
  if (!pid) throw new NovaError('INTERNAL', `swtpm wrote no pidfile; see ${p.log}`);
  return pid;
}

export async function stopSwtpm(p: SwtpmPaths): Promise<void> {
  const pid = await readPidFile(p.pidfile);
  if (pid) {
    await killVerified(pid, ['swtpm', p.socket], 'SIGTERM');
    if (!(await waitForExit(pid, 2000))) await killVerified(pid, ['swtpm', p.socket], 'SIGKILL');
  }
  await rm(p.pidfile, { force: true });
  await rm(p.socket, { force: true });
}

/** The per-VM UEFI variable store: a copy of the template (MS keys enrolled for Secure Boot). */
export async function ensureVarsFile(varsFile: string, template: string): Promise<void> {
  if (existsSync(varsFile)) return;
  if (!existsSync(template)) throw new NovaError('HOST_UNSUPPORTED', `UEFI firmware ${template} is missing (install the ovmf package; Arch: edk2-ovmf)`);
  await copyFile(template, varsFile);
}
