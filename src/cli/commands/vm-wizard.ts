// `nova wizard vm NAME --preset win11|gpu-labs [--write]`: the engine renders the preset
// (vm.wizard) and, with --write, appends it to the NovaFile (novafile.addVm); nothing here edits files.
import type { CliContext } from '../context.js';

type Opts = Record<string, string | boolean | undefined>;
const str = (o: Opts, k: string): Record<string, string> => (typeof o[k] === 'string' ? { [k]: o[k] } : {});

export function registerVmWizardCommand(ctx: CliContext): void {
  ctx.group(ctx.verb('wizard', 'Guided creation from presets'), 'vm', 'Render a VM preset as a NovaFile entry').argument('<name>')
    .requiredOption('--preset <preset>', 'win11 | gpu-labs').option('--memory <size>').option('--cpu <n>').option('--disk-size <size>')
    .option('--iso <path>', 'Windows installer ISO').option('--virtio-win <path>', 'virtio-win drivers ISO').option('--gpu <pci>', 'GPU PCI address (gpu-labs)')
    .option('--network <name>').option('--write', 'append the entry to the NovaFile (created if missing)')
    .action(async (name: string, o: Opts) => {
      const r = await ctx.call('vm.wizard', {
        name, preset: o.preset as 'win11' | 'gpu-labs',
        ...str(o, 'memory'), ...(o.cpu ? { cpu: Number(o.cpu) } : {}), ...str(o, 'diskSize'), ...str(o, 'iso'), ...str(o, 'virtioWin'), ...str(o, 'gpu'), ...str(o, 'network'),
      });
      const written = o.write ? (await ctx.call('novafile.addVm', { name, spec: r.spec, ...ctx.novafileSource() })).file : undefined;
      ctx.print({ ...r, ...(written ? { written } : {}) }, (x) => `${x.toml}\n${x.guidance.map((g) => `# ${g}`).join('\n')}${written ? `\n\nappended to ${written}` : ''}`);
    });
}
