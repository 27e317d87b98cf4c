import { execa } from 'execa';
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
      const [file, ...args] = argv as [string, ...string[]];
      const started = performance.now();
      const shown = () => redactText(argv.join(' '), opts.secrets);
      try {
        const r = await execa(file, args, {
          reject: false,
          timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          cancelSignal: opts.signal,
          ...(opts.discardStdout ? { stdout: 'ignore' as const } : {}),
          // No input: /dev/null, which is a little cheaper than a pipe nobody writes to.
          ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
          env: opts.env,
          cwd: opts.cwd,
          stripFinalNewline: true,
          encoding: 'utf8',
        });
        const result: RunResult = {
          argv: [...argv],
          exitCode: r.exitCode ?? -1,
          stdout: String(r.stdout ?? ''),
          stderr: String(r.stderr ?? ''),
          durationMs: performance.now() - started,
        };
        const stderr = redactText(trim(result.stderr), opts.secrets);
        const details = { argv: redactText(argv.join('\u0000'), opts.secrets).split('\u0000'), exitCode: r.exitCode ?? null, stderr };
        if (r.isCanceled) throw new CommandError('CANCELLED', `\`${shown()}\` was cancelled`, details);
        if (r.timedOut) throw new CommandError('TIMEOUT', `\`${shown()}\` timed out after ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`, details);
        if ((r as { code?: string }).code === 'ENOENT' || /ENOENT/.test(String(r.message ?? '')) && r.exitCode === undefined) {
          const pkg = PACKAGE_HINT[file.split('/').pop()!];
          throw new CommandError('HOST_UNSUPPORTED', `\`${file}\` is not installed${pkg ? ` (install the ${pkg} package)` : ''}`, details);
        }
        if (result.exitCode !== 0 && !opts.allowFailure) {
          const code: ErrorCode = /Operation not permitted|Permission denied|must be root|EPERM/i.test(stderr) ? 'PERMISSION' : 'INTERNAL';
          throw new CommandError(code, `\`${shown()}\` failed (exit ${result.exitCode})${stderr ? `: ${stderr}` : ''}`, details);
        }
        return result;
      } catch (e) {
        if (e instanceof NovaError) throw e;
        throw new CommandError('INTERNAL', `\`${shown()}\` could not run: ${(e as Error).message}`, { argv: [...argv], exitCode: null, stderr: '' });
      }
    },
  };
}

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
