// `nova wizard vm NAME --preset win11|gpu-labs [--write]`
import { appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { findNovafile, readNovafileText } from '../../core/novafile/load.js';
import type { CliContext } from '../context.js';

export function registerVmWizardCommand(ctx: CliContext): void {
  ctx.group(ctx.verb('wizard', 'Guided creation from presets'), 'vm', 'Render a VM preset as a NovaFile entry').argument('<name>')
    .requiredOption('--preset <preset>', 'win11 | gpu-labs').option('--memory <size>').option('--cpu <n>').option('--disk-size <size>')
    .option('--iso <path>', 'Windows installer ISO').option('--virtio-win <path>', 'virtio-win drivers ISO').option('--gpu <pci>', 'GPU PCI address (gpu-labs)')
    .option('--network <name>').option('--write', 'append the entry to the NovaFile (created if missing)')
    .action(async (name: string, o: Record<string, string | boolean | undefined>) => {
      const r = await ctx.call('vm.wizard', {
        name, preset: o.preset as 'win11' | 'gpu-labs',
        ...(o.memory ? { memory: o.memory as string } : {}), ...(o.cpu ? { cpu: Number(o.cpu) } : {}), ...(o.diskSize ? { diskSize: o.diskSize as string } : {}),
        ...(o.iso ? { iso: o.iso as string } : {}), ...(o.virtioWin ? { virtioWin: o.virtioWin as string } : {}), ...(o.gpu ? { gpu: o.gpu as string } : {}),
        ...(o.network ? { network: o.network as string } : {}),
      });
      let written: string | undefined;
      if (o.write) {
        let file: string;
        try {
          file = findNovafile(ctx.opts.novafile, process.cwd());
        } catch {
          file = join(process.cwd(), 'NovaFile');
        }
        const text = existsSync(file) ? await readNovafileText(file) : '';
        if (new RegExp(`^\\s*\\[vm\\.${name}\\]`, 'm').test(text)) throw new NovaError('CONFLICT', `${file} already has [vm.${name}]`, { fix: 'pick another name or edit the entry' });
        await appendFile(file, `${text && !text.endsWith('\n') ? '\n' : ''}${text ? '\n' : ''}${r.toml}`);
        written = file;
      }
      ctx.print({ ...r, ...(written ? { written } : {}) }, (x) => `${x.toml}\n${x.guidance.map((g) => `# ${g}`).join('\n')}${written ? `\n\nappended to ${written}` : ''}`);
    });
}
