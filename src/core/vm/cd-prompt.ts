// Windows install media boot through cdboot.efi, which asks "Press any key to boot from CD or
// DVD" for a few seconds and otherwise hands back to the firmware; on an empty disk the firmware
// then finds nothing to boot — the classic first-install trap with OVMF. On a UEFI VM's install
// boot (its CD first, on its first start) Nova watches the serial console, where OVMF copies all
// firmware-time text, and presses Enter once when that prompt shows. It runs as a task of the
// engine that started the VM (the app, `nova serve`; `nova vm start` waits for it).
import { open, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { CD_PROMPT, cdPromptTaskTitle } from '../../shared/install-cd.js';
import { DirWatch } from '../sys/dir-watch.js';
import { pidAlive } from '../sys/proc.js';
import type { VmContext } from './context.js';
import { sendKey } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { layoutOf } from './store.js';

/** Long enough for a TCG boot to reach the CD's loader on a busy machine. */
const WATCH_MS = 180_000;

/** The serial log's size now: the prompt is looked for in what this boot appends (logappend=on). */
export const serialLogSize = (path: string): Promise<number> => stat(path).then((s) => s.size, () => 0);

export type CdPromptOutcome = 'answered' | 'vm-gone' | 'timeout' | 'cancelled';
const OUTCOME_TEXT: Record<CdPromptOutcome, string> = {
  answered: 'pressed Enter at the installer CD\'s prompt',
  'vm-gone': 'the VM ended before the installer CD asked for a key',
  timeout: 'the installer CD did not ask for a key (not Windows media, or it booted on its own)',
  cancelled: 'stopped watching for the installer CD\'s prompt',
};

/** Waits for the prompt in the serial log from byte `from` on, then sends Enter over QMP. */
export async function answerCdPrompt(o: { serialLog: string; qmp: string; pid: number; from: number; signal: AbortSignal; timeoutMs?: number }): Promise<CdPromptOutcome> {
  const deadline = Date.now() + (o.timeoutMs ?? WATCH_MS);
  // The log's folder, for the log only: inotify wakes the loop; the 1 s look-again covers what it
  // cannot say (QEMU gone, the log not there yet).
  let wake: (() => void) | undefined;
  const changes = new DirWatch((_dir, name) => name !== basename(o.serialLog), () => wake?.());
  changes.sync([dirname(o.serialLog)]);
  let offset = o.from;
  let carry = '';
  try {
    for (;;) {
      if (o.signal.aborted) return 'cancelled';
      if (!pidAlive(o.pid)) return 'vm-gone';
      changes.clean();
      const chunk = await readFrom(o.serialLog, offset);
      offset += chunk.length; // latin1: a character per byte
      const text = carry + chunk;
      if (text.includes(CD_PROMPT)) {
        await withQmp(o.qmp, (q) => sendKey(q, 'ret'));
        return 'answered';
      }
      carry = text.slice(-CD_PROMPT.length); // the prompt may be split across two reads
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      if (!changes.dirty) await new Promise<void>((resolve) => (wake = settleAfter(Math.min(left, 1000), o.signal, resolve)));
    }
  } finally {
    changes.close();
  }
}

/** `done` once, at the first of: the returned function called, `ms` passed, `signal` aborted. */
function settleAfter(ms: number, signal: AbortSignal, done: () => void): () => void {
  const settle = () => {
    clearTimeout(timer);
    signal.removeEventListener('abort', settle);
    done();
  };
  const timer = setTimeout(settle, ms);
  timer.unref();
  signal.addEventListener('abort', settle, { once: true });
  return settle;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return '';
  try {
    const size = (await fh.stat()).size;
    if (size <= offset) return '';
    const buf = Buffer.alloc(Math.min(size - offset, 1 << 20));
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await fh.close();
  }
}

/** Starts the watch as an engine task (task.list shows it, task.cancel stops it); never throws. */
export function assistInstallCd(ctx: VmContext, name: string, pid: number, from: number): void {
  const l = layoutOf(ctx.paths, name);
  void ctx.tasks
    .run(cdPromptTaskTitle(name), async (t) => {
      const outcome = await answerCdPrompt({ serialLog: l.serialLog, qmp: l.qmp, pid, from, signal: t.signal });
      t.progress(1, OUTCOME_TEXT[outcome]);
      return outcome;
    })
    .catch(() => undefined);
}
