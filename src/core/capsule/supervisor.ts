import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { findBuildOutput } from '../sys/assets.js';
import { processMatches, readPidFile } from '../sys/proc.js';
import type { CapsuleLayout } from './layout.js';
import { runtimeArgv } from './runtime.js';
import type { Runtime } from './runtime.js';
import { mapOptions } from './rootless.js';
import type { RootlessIds } from './rootless.js';
import type { UsernsHolder } from './userns-holder.js';

// Each running capsule has a supervisor: native/capsule-supervisor*.c, built to
// out/native/nova-capsule-supervisor (`npm run build`). It owns the capsule's mount namespace and
// overlay root, `crun|runc run -d`, the logs, the exit record and the restart policy, and it
// outlives the engine that started it. This file starts it and finds it again.

export const SUPERVISOR_MARK = 'nova-capsule-supervisor';
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

let binary: string | undefined;
export function supervisorBinary(): string {
  binary ??= findBuildOutput(join('native', SUPERVISOR_MARK));
  if (!binary) throw new NovaError('HOST_UNSUPPORTED', `${SUPERVISOR_MARK} is not built: run \`npm run build\` (it needs gcc and libc6-dev)`);
  return binary;
}

export interface SuperviseOptions {
  id: string;
  layout: CapsuleLayout;
  runtime: Runtime;
  /** The image rootfs, mounted read-only under the capsule's own upper/work dirs. */
  lower: string;
  /** The capsule's cgroup (for OOM kills); none for a user without cgroup delegation. */
  cgroupsPath?: string;
  /** An ordinary user's capsule: the supervisor enters a user namespace with this mapping. */
  rootless?: RootlessIds;
  /** The user's namespace holder (userns-holder.ts): joined instead of mapping a namespace. */
  holder?: UsernsHolder;
  /** A user's capsule with a network: the supervisor holds its netns (see native/capsule-net.h). */
  network?: SupervisedNetwork;
}

/**
 * pasta: its argv (without the target pid) connects the netns before the capsule starts.
 * attach: called with a pid inside the new netns (the supervisor's) before the capsule starts,
 * e.g. to have nova privd plug a veth in; the capsule starts once it resolved.
 */
export type SupervisedNetwork = { pasta: string[] } | { attach: (netnsPid: number) => Promise<void> };

const networkArgs = (n: SupervisedNetwork | undefined) => (!n ? [] : ['--netns', ...('pasta' in n ? n.pasta.flatMap((a) => ['--pasta', a]) : [])]);

// overlayfs mount options are comma separated, and ':' separates lower layers.
const overlaySafe = (p: string, what: string) => {
  if (/[,:]/.test(p)) throw new NovaError('INVALID_INPUT', `${what} ${p} contains "," or ":", which overlayfs cannot take; move it (or NOVA_HOME) to a plain path`, { path: p });
  return p;
};

/**
 * Starts the detached supervisor (its own session; nothing ties it to us once it answered) and
 * waits for its one-line answer: "ready PID" once the runtime started the capsule, or
 * "failed CODE" (the reason is in the capsule's log). Returns the capsule's first pid.
 */
export async function startSupervised(o: SuperviseOptions): Promise<{ supervisor: number; pid: number }> {
  const { layout, runtime } = o;
  const argv = [
    supervisorBinary(),
    '--dir', layout.dir,
    '--id', o.id,
    '--bundle', layout.bundle,
    ...(o.cgroupsPath ? ['--cgroup', o.cgroupsPath] : []),
    '--lower', overlaySafe(o.lower, 'the image rootfs'),
    '--upper', overlaySafe(layout.upper, 'the capsule folder'),
    '--work', overlaySafe(layout.work, 'the capsule folder'),
    '--log-max', String(LOG_MAX_BYTES),
    ...(runtime.hideUnified ? ['--hide-unified'] : []),
    ...(o.rootless ? mapOptions(o.rootless) : []),
    ...(o.rootless && o.holder ? ['--join-userns', `${o.holder.pid}:${o.holder.inode}`] : []),
    ...networkArgs(o.network),
    '--',
    ...runtimeArgv(runtime),
  ];
  const attach = o.network && 'attach' in o.network ? o.network.attach : undefined;
  // node:child_process on first use, not at load: a cold `nova ls` only reads the supervisor's pidfile.
  const child = process.getBuiltinModule('node:child_process').spawn(argv[0]!, argv.slice(1), { detached: true, stdio: [attach ? 'pipe' : 'ignore', 'pipe', 'ignore'], cwd: layout.dir });
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  const lines = answerLines(child);
  let answer = await lines.next();
  if (attach && answer.startsWith('netns ')) {
    // Closing its stdin without "go" makes the supervisor give up and exit.
    await attach(Number(answer.split(' ')[1])).catch((e: unknown) => {
      child.stdin!.end();
      throw e;
    });
    child.stdin!.end('go\n');
    answer = await lines.next();
  }
  child.stdout!.destroy();
  const [word, ...rest] = answer.trim().split(' ');
  if (word === 'ready' && child.pid) {
    child.unref();
    return { supervisor: child.pid, pid: Number(rest[0]) };
  }
  // A failed start returns once the supervisor has cleaned up and exited (it removes the
  // container and its pid file): until then status would read "running (starting)". Its own
  // drain is bounded (2 s + the runtime's delete); so is this wait.
  if (child.pid) await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
  child.unref();
  if (word === 'error') throw new NovaError('INTERNAL', `cannot run ${argv[0]}: ${rest.join(' ')}`);
  throw new NovaError('INTERNAL', `capsule did not start${word === 'failed' ? ` (exit ${rest[0]})` : ''}`);
}

/** The supervisor's answer, one line at a time ("error …" when it could not be run). */
function answerLines(child: ChildProcess): { next(): Promise<string> } {
  let text = '';
  let closed = false;
  let wake: (() => void) | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    text += d;
    wake?.();
  });
  child.stdout!.on('close', () => {
    closed = true;
    wake?.();
  });
  child.on('error', (e) => {
    text += `error ${e.message}\n`;
    wake?.();
  });
  return {
    async next() {
      for (;;) {
        const nl = text.indexOf('\n');
        if (nl >= 0) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          return line;
        }
        if (closed) return text;
        await new Promise<void>((r) => (wake = r));
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
