import type { ChildProcess } from 'node:child_process';
import { NovaError } from '../../shared/errors.js';
import type { ErrorCode } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';

export interface RunOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  input?: string | Buffer;
  env?: Record<string, string>;
  cwd?: string;
  /** Return a non-zero exit as a result instead of throwing. */
  allowFailure?: boolean;
  /** Strings to hide from error messages and logs (passwords passed as argv). */
  secrets?: string[];
  /** The caller has no use for stdout (saves collecting it): RunResult.stdout is "". */
  discardStdout?: boolean;
}

export interface RunResult {
  argv: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs system tools. Always an argv array, never a shell string. Injectable for tests. */
export interface Runner {
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export interface CommandErrorDetails {
  argv: string[];
  exitCode: number | null;
  stderr: string;
}

/** A failed system command: the argv, exit code and trimmed stderr, for humans and for code. */
export class CommandError extends NovaError {
  declare readonly details: CommandErrorDetails;
  constructor(code: ErrorCode, message: string, details: CommandErrorDetails) {
    super(code, message, details);
    this.name = 'CommandError';
  }
}

const MAX_STDERR = 2000;
const DEFAULT_TIMEOUT_MS = 60_000;

// Install hints for the tools Nova calls; used when a binary is missing.
const PACKAGE_HINT: Record<string, string> = {
  ip: 'iproute2', bridge: 'iproute2', nft: 'nftables', dnsmasq: 'dnsmasq-base', tcpdump: 'tcpdump', sysctl: 'procps', nsenter: 'util-linux',
  'qemu-system-x86_64': 'qemu-system-x86', 'qemu-img': 'qemu-utils', swtpm: 'swtpm',
  crun: 'crun', runc: 'runc', skopeo: 'skopeo', umoci: 'umoci', tar: 'tar', zstd: 'zstd',
};

export function createRunner(): Runner {
  return {
    async run(argv, opts = {}) {
      if (argv.length === 0 || !argv[0]) throw new NovaError('INTERNAL', 'runner: empty argv');
      const [file] = argv as [string, ...string[]];
      const started = performance.now();
      const shown = () => redactText(argv.join(' '), opts.secrets);
      const r = await spawnCollect(argv, opts);
      const result: RunResult = { argv: [...argv], exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: performance.now() - started };
      const stderr = redactText(trim(result.stderr), opts.secrets);
      const details = { argv: redactText(argv.join('\u0000'), opts.secrets).split('\u0000'), exitCode: r.exitCode, stderr };
      if (r.error?.code === 'ENOENT') {
        const pkg = PACKAGE_HINT[file.split('/').pop()!];
        throw new CommandError('HOST_UNSUPPORTED', `\`${file}\` is not installed${pkg ? ` (install the ${pkg} package)` : ''}`, details);
      }
      if (r.error) throw new CommandError('INTERNAL', `\`${shown()}\` could not run: ${r.error.message}`, { argv: [...argv], exitCode: null, stderr: '' });
      if (r.cancelled) throw new CommandError('CANCELLED', `\`${shown()}\` was cancelled`, details);
      if (r.timedOut) throw new CommandError('TIMEOUT', `\`${shown()}\` timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, details);
      if (result.exitCode !== 0 && !opts.allowFailure) {
        const code: ErrorCode = /Operation not permitted|Permission denied|must be root|EPERM/i.test(stderr) ? 'PERMISSION' : 'INTERNAL';
        throw new CommandError(code, `\`${shown()}\` failed (exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}`, details);
      }
      return result;
    },
  };
}

interface Collected {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
  timedOut?: boolean;
  cancelled?: boolean;
}

/** Children still running, killed if this process exits first (as execa's `cleanup` did). */
const live = new Set<ChildProcess>();
let exitHook = false;

/**
 * child_process.spawn with just what the runner needs (stdin from `input` or /dev/null, stdout and
 * stderr collected as UTF-8 without their final newline, timeout and cancel by SIGTERM, then
 * SIGKILL after 5 s). Host changes spawn many short tools, and on a loaded 2-core machine each
 * millisecond of JavaScript around a spawn becomes several of waiting: execa cost 2.5–6 ms of this
 * process's CPU per spawn more than this.
 */
function spawnCollect(argv: readonly string[], opts: RunOptions): Promise<Collected> {
  return new Promise((resolve) => {
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const c of live) c.kill('SIGTERM');
      });
    }
    let child: ChildProcess;
    try {
      // node:child_process on first use, not at load: a cold `nova ls` usually spawns nothing.
      child = process.getBuiltinModule('node:child_process').spawn(argv[0]!, argv.slice(1), {
        stdio: [opts.input !== undefined ? 'pipe' : 'ignore', opts.discardStdout ? 'ignore' : 'pipe', 'pipe'],
        ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
        ...(opts.cwd ? { cwd: opts.cwd } : {}),
      });
    } catch (e) {
      resolve({ exitCode: null, stdout: '', stderr: '', error: e as NodeJS.ErrnoException });
      return;
    }
    live.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    let timedOut = false;
    let cancelled = false;
    let force: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGTERM');
      force ??= setTimeout(() => child.kill('SIGKILL'), 5000);
      force.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    let spawnError: NodeJS.ErrnoException | undefined;
    const done = (exitCode: number | null) => {
      clearTimeout(timer);
      if (force) clearTimeout(force);
      opts.signal?.removeEventListener('abort', onAbort);
      live.delete(child);
      resolve({
        exitCode,
        stdout: stripNewline(Buffer.concat(out).toString('utf8')),
        stderr: stripNewline(Buffer.concat(err).toString('utf8')),
        ...(spawnError ? { error: spawnError } : {}),
        ...(timedOut ? { timedOut } : {}),
        ...(cancelled ? { cancelled } : {}),
      });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError ??= e;
      // A spawn that failed (ENOENT) emits no 'close' when it has no stdio to close.
      if (child.pid === undefined) done(null);
    });
    child.on('close', (code) => done(code));
    if (opts.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // a tool that exits without reading all of it
      child.stdin.end(opts.input);
    }
  });
}

const stripNewline = (s: string) => (s.endsWith('\r\n') ? s.slice(0, -2) : s.endsWith('\n') ? s.slice(0, -1) : s);

function trim(s: string): string {
  const t = s.trim();
  return t.length > MAX_STDERR ? `${t.slice(0, MAX_STDERR)}…` : t;
}

/** A runner that records every argv before delegating: golden tests assert what Nova ran. */
export function recordingRunner(inner: Runner): Runner & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run(argv, opts) {
      calls.push([...argv]);
      return inner.run(argv, opts);
    },
  };
}
