import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Writable } from 'node:stream';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { prepareExec } from '../capsule/exec.js';
import { findBuildOutput } from '../sys/assets.js';
import type { TerminalBackend, TerminalSink } from './sessions.js';

export interface CapsuleShell {
  name: string;
  command: string[];
  user?: string;
  workdir?: string;
}

// A command that ignores SIGHUP still goes when its terminal is closed.
const KILL_AFTER_MS = 3000;

/**
 * `crun|runc exec` with a terminal, on a pty of native/pty-helper.c (Node has no pty of its own):
 * the same argv `nova exec -it` runs on the user's terminal, with the same process file.
 */
export async function openCapsuleShell(engine: EngineContext, shell: CapsuleShell, cols: number, rows: number, sink: TerminalSink): Promise<TerminalBackend> {
  const helper = findBuildOutput(join('native', 'nova-pty'));
  if (!helper) throw new NovaError('HOST_UNSUPPORTED', 'the terminal helper nova-pty is not built: run `npm run build:native` (needs gcc)');
  const prep = await prepareExec(engine, { name: shell.name, command: shell.command, env: {}, tty: true, ...(shell.user ? { user: shell.user } : {}), ...(shell.workdir ? { workdir: shell.workdir } : {}) });
  const child = spawn(helper, [String(cols), String(rows), '--', ...prep.argv], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  const control = child.stdio[3] as Writable;
  const decoder = new StringDecoder('utf8');
  let killTimer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (b: Buffer) => sink.output(decoder.write(b)));
  // The helper's own complaints (a runtime that cannot start) belong in the terminal too.
  child.stderr.on('data', (b: Buffer) => sink.output(b.toString('utf8').replace(/\r?\n/g, '\r\n')));
  for (const s of [child.stdin, control]) s.on('error', () => undefined);
  child.on('error', (e) => sink.exit(`cannot start the terminal: ${e.message}`));
  child.on('close', (code, signal) => {
    if (killTimer) clearTimeout(killTimer);
    void rm(prep.processFile, { force: true });
    const rest = decoder.end();
    if (rest) sink.output(rest);
    sink.exit(signal ? `ended by ${signal}` : `exited with code ${code ?? 0}`, code ?? undefined);
  });
  return {
    write: (data) => void child.stdin.write(data),
    resize: (c, r) => control.write(`${c} ${r}\n`),
    close: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    },
  };
}
