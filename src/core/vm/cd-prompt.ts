// Windows install media boot through cdboot.efi, which asks "Press any key to boot from CD or
// DVD" for a few seconds and otherwise hands back to the firmware; on an empty disk the firmware
// then finds nothing to boot — the classic first-install trap with OVMF. On a UEFI VM's install
// boot (its CD first, on its first start) Nova watches the serial console, where OVMF copies all
// firmware-time text, and presses Enter once when that prompt shows. It runs as a task of the
// engine that started the VM (the app, `nova serve`; `nova vm start` waits for it).
import { watch } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { CD_PROMPT, cdPromptTaskTitle } from '../../shared/install-cd.js';
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
  let offset = o.from;
  let carry = '';
  for (;;) {
    if (o.signal.aborted) return 'cancelled';
    if (!pidAlive(o.pid)) return 'vm-gone';
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
    await logChangedOrTimeout(o.serialLog, Math.min(left, 1000), o.signal);
  }
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

/** inotify on the log, with a short timer for what it cannot see (the file not there yet, QEMU gone). */
function logChangedOrTimeout(path: string, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let watcher: ReturnType<typeof watch> | undefined;
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    try {
      watcher = watch(path, { persistent: false }, done);
      watcher.on('error', done);
    } catch {
      /* not there yet: the timer looks again */
    }
    signal.addEventListener('abort', done, { once: true });
  });
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
