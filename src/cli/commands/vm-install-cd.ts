// `nova vm start` of a UEFI VM's install boot: the engine watches the serial console for the
// installer CD's key prompt and presses Enter (src/core/vm/cd-prompt.ts). This CLI's engine ends
// with the command, so the command stays until that watch is over (Ctrl-C leaves it to the user).
import { CD_PROMPT, cdPromptTaskTitle } from '../../shared/install-cd.js';
import type { CliContext } from '../context.js';
import { writeErr } from '../terminal.js';

export async function waitForInstallCdPrompt(ctx: CliContext, vm: string): Promise<void> {
  const title = cdPromptTaskTitle(vm);
  const watch = async () => (await ctx.call('task.list', {})).tasks.find((t) => t.title === title);
  let task = await watch();
  if (task?.state !== 'running') return;
  const say = (line: string) => !ctx.opts.json && writeErr(`${vm}: ${line}\n`);
  say(`waiting to press Enter at the installer CD's "${CD_PROMPT}" (Ctrl-C leaves it to you)`);
  let interrupted = false;
  const onSigint = () => (interrupted = true);
  process.once('SIGINT', onSigint);
  try {
    while (!interrupted && task?.state === 'running') {
      await new Promise((r) => setTimeout(r, 500));
      task = await watch();
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (task?.message) say(task.message);
}
