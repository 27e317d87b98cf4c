// A UEFI VM's install boot: the engine watches the serial console for the installer CD's key
// prompt and presses Enter (src/core/vm/cd-prompt.ts). This CLI's engine ends with the command,
// so `nova vm start`, `nova run vm` and `nova up` stay until those watches are over (Ctrl-C
// leaves the prompt to the user).
import { CD_PROMPT, cdPromptTaskVm } from '../../shared/install-cd.js';
import type { TaskInfo } from '../../shared/contract/task.js';
import type { CliContext } from '../context.js';
import { writeErr } from '../terminal.js';

/** Waits for the running CD-prompt watches of `only` (a VM name), or of every VM. */
export async function waitForInstallCdPrompts(ctx: CliContext, only?: string): Promise<void> {
  const watches = async () =>
    (await ctx.call('task.list', {})).tasks.flatMap((t): [string, TaskInfo][] => {
      const vm = cdPromptTaskVm(t.title);
      return vm !== undefined && (only === undefined || vm === only) ? [[t.id, t]] : [];
    });
  const say = (t: TaskInfo, line: string) => !ctx.opts.json && writeErr(`${cdPromptTaskVm(t.title)}: ${line}\n`);
  const seen = new Map((await watches()).filter(([, t]) => t.state === 'running'));
  if (!seen.size) return;
  for (const t of seen.values()) say(t, `waiting to press Enter at the installer CD's "${CD_PROMPT}" (Ctrl-C leaves it to you)`);
  let interrupted = false;
  const onSigint = () => (interrupted = true);
  process.once('SIGINT', onSigint);
  try {
    for (;;) {
      const now = new Map(await watches());
      for (const id of seen.keys()) if (now.has(id)) seen.set(id, now.get(id)!);
      if (interrupted || [...seen.values()].every((t) => t.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  for (const t of seen.values()) if (t.state !== 'running' && t.message) say(t, t.message);
}
