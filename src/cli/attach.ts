import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { NovaError } from '../shared/errors.js';

// Runs a command the engine validated (an argv, never a shell string) on the user's own terminal:
// `nova exec -it` hands stdin, stdout and stderr straight to `crun|runc exec`.

/**
 * Resolves to the command's exit code (128 + N when signal N ended it, like a shell). Ctrl-C and
 * Ctrl-\ reach the whole foreground process group, the command included: nova ignores them
 * meanwhile so it outlives the command and reports its code. TERM and HUP sent to nova alone are
 * passed on.
 */
export function runAttached(argv: readonly string[]): Promise<number> {
  const [file, ...args] = argv;
  if (!file) throw new NovaError('INTERNAL', 'runAttached: empty argv');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'inherit' });
    const ignore = () => undefined;
    const forward = (sig: NodeJS.Signals) => child.kill(sig);
    const handlers: [NodeJS.Signals, (sig: NodeJS.Signals) => void][] = [
      ['SIGINT', ignore],
      ['SIGQUIT', ignore],
      ['SIGTERM', forward],
      ['SIGHUP', forward],
    ];
    for (const [sig, fn] of handlers) process.on(sig, fn);
    const done = () => {
      for (const [sig, fn] of handlers) process.off(sig, fn);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(e.code === 'ENOENT' ? new NovaError('HOST_UNSUPPORTED', `\`${file}\` is not installed`) : e);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}
