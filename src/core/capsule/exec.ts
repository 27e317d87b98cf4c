import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import { readJson } from '../sys/atomic.js';
import type { EngineContext } from '../context.js';
import { capsuleLayout } from './layout.js';
import { getRecord, secretsOf } from './records.js';
import { runtimeArgv } from './runtime.js';
import type { RuntimeName } from './runtime.js';
import { deriveStatus, runtimeOf } from './status.js';
import { inSupervisorNamespace, isRootless } from './rootless.js';

export interface ExecTarget {
  name: string;
  command: string[];
  env: Record<string, string>;
  workdir?: string;
  user?: string;
  /** Allocate a terminal: only for a caller that attaches its own terminal to the runtime. */
  tty?: boolean;
}

export interface ExecInput extends ExecTarget {
  stdin?: string;
  timeoutMs: number;
}

interface OciProcess {
  args: string[];
  env?: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: boolean;
  [more: string]: unknown;
}

export interface PreparedExec {
  argv: string[];
  runtime: RuntimeName;
  /** Values to redact from captured output. */
  secrets: string[];
  /** The process file argv points at (it holds the capsule's env: mode 0600, removed after use). */
  processFile: string;
}

/** Process files an interactive caller has yet to run (one set per engine), removed when it closes. */
export type PendingExecFiles = Set<string>;
const STALE_MS = 60_000;

/**
 * Checks the capsule is running and builds `crun|runc exec --process FILE ID`: the one argv behind
 * both the captured exec and the interactive one the CLI runs on the user's terminal.
 *
 * Why a process file and not `--env`: crun before 1.28 drops the capsule's whole environment
 * (PATH included) as soon as one `--env` is given, so `-e` or a terminal's TERM broke the exec;
 * passing the full env as flags would put the capsule's secrets in /proc/PID/cmdline. The file
 * starts from the capsule's own process (user, capabilities, env), as the runtimes do for exec.
 */
export async function prepareExec(engine: EngineContext, input: ExecTarget, pending?: PendingExecFiles): Promise<PreparedExec> {
  const rec = await getRecord(engine.paths, input.name);
  const st = await deriveStatus(engine, rec);
  if (st.state !== 'running') throw new NovaError('CONFLICT', `capsule ${input.name} is ${st.state}; exec needs it running (\`nova run container ${input.name}\`)`, { state: st.state });
  const rt = await runtimeOf(engine, rec);
  const layout = capsuleLayout(engine.paths, rec.name);
  const base = (await readJson<{ process?: OciProcess } | undefined>(layout.config, undefined))?.process;
  if (!base) throw new NovaError('CONFLICT', `capsule ${rec.name} has no runtime config; restart it (\`nova restart container ${rec.name}\`)`, { file: layout.config });

  const env = new Map((base.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const));
  // A terminal without TERM breaks line editing and full-screen tools; xterm is podman's default.
  if (input.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  for (const [k, v] of Object.entries(input.env)) env.set(k, v);
  const [uid, gid] = input.user?.split(':').map(Number) ?? [];
  const proc: OciProcess = {
    ...base,
    args: input.command,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: input.workdir ?? base.cwd,
    // "uid" alone means gid 0, as `crun|runc exec --user` reads it.
    user: uid === undefined ? base.user : { uid, gid: gid ?? 0 },
    terminal: Boolean(input.tty),
  };

  const dir = join(layout.dir, 'exec');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await sweep(dir, pending);
  const processFile = join(dir, `${randomBytes(6).toString('hex')}.json`);
  // Not state, a hand-over read once: no fsync; 'wx' because the name is fresh.
  await writeFile(processFile, JSON.stringify(proc), { mode: 0o600, flag: 'wx' });
  const direct = runtimeArgv(rt, 'exec', '--process', processFile, rec.id);
  // An ordinary user's capsule lives in the supervisor's user namespace: exec from there.
  const argv = isRootless() && st.supervisor ? inSupervisorNamespace(st.supervisor, direct) : direct;
  return { argv, runtime: rt.name, secrets: [...secretsOf(rec), ...Object.values(input.env).filter((v) => v.length > 0)], processFile };
}

/** For a caller that runs the argv itself: the file stays until the engine closes (or a minute). */
export async function execArgv(engine: EngineContext, input: ExecTarget, pending: PendingExecFiles): Promise<{ argv: string[]; runtime: RuntimeName }> {
  const { argv, runtime, processFile } = await prepareExec(engine, input, pending);
  pending.add(processFile);
  return { argv, runtime };
}

/** Removes the process files handed out by execArgv (engine close). */
export async function dropExecFiles(pending: PendingExecFiles): Promise<void> {
  const files = [...pending];
  pending.clear();
  await Promise.all(files.map((f) => rm(f, { force: true })));
}

/** `crun|runc exec` inside the running capsule; output and exit code come back (redacted). */
export async function execInCapsule(engine: EngineContext, input: ExecInput): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  // Captured output has no terminal: a tty here would make the runtime fail on tcgetattr.
  const { argv, secrets, processFile } = await prepareExec(engine, { ...input, tty: false });
  try {
    const r = await engine.runner.run(argv, { allowFailure: true, timeoutMs: input.timeoutMs, secrets, ...(input.stdin !== undefined ? { input: input.stdin } : {}) });
    return { exitCode: r.exitCode, stdout: redactText(r.stdout, secrets), stderr: redactText(r.stderr, secrets) };
  } finally {
    await rm(processFile, { force: true });
  }
}

/** Files left by a caller that died before its engine closed: the runtime read them long ago. */
async function sweep(dir: string, handedOut?: Set<string>): Promise<void> {
  const now = Date.now();
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const p = join(dir, f);
    const st = await stat(p).catch(() => undefined);
    if (!st || now - st.mtimeMs <= STALE_MS) continue;
    await rm(p, { force: true });
    handedOut?.delete(p);
  }
}
