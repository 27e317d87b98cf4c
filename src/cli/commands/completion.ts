import { NOVA_VERSION } from '../../core/host/probe.js';
import { completionScript, SHELLS } from '../completion.js';
import type { Shell } from '../completion.js';
import type { CliContext } from '../context.js';
import { manPage } from '../manpage.js';
import { writeOut } from '../terminal.js';

const NAME_KINDS = ['vm', 'capsule', 'network', 'gpu'] as const;

/** Names for the completion scripts: one a line, nothing (not an error) when the engine cannot say. */
async function names(ctx: CliContext, kind: string): Promise<string[]> {
  if (kind === 'gpu') return (await ctx.call('gpu.list', {})).gpus.map((g) => g.address);
  if (kind !== 'vm' && kind !== 'capsule' && kind !== 'network') throw new Error(`names of what? one of ${NAME_KINDS.join(', ')}`);
  return (await ctx.call('resource.list', { kind })).items.map((r) => r.name);
}

export function registerCompletionCommands(ctx: CliContext): void {
  ctx.program
    .command('completion')
    .description('Print a shell completion script: `source <(nova completion bash)`; zsh and fish too (`names KIND` lists VM, capsule, network or GPU names for the scripts)')
    .argument('<shell>', `${SHELLS.join(', ')} or names`)
    .argument('[kind]', `with names: ${NAME_KINDS.join(', ')}`)
    .action(async (shell: string, kind?: string) => {
      if (shell === 'names') return void writeOut((await names(ctx, kind ?? '')).map((n) => `${n}\n`).join(''));
      if (!(SHELLS as readonly string[]).includes(shell)) throw new Error(`no completion for "${shell}": one of ${SHELLS.join(', ')}`);
      writeOut(completionScript(ctx.program, shell as Shell));
    });
  ctx.program
    .command('man')
    .description('Print the nova(1) man page (roff): `nova man | man -l -`; packages ship it built')
    .action(() => writeOut(manPage(ctx.program, NOVA_VERSION)));
}
