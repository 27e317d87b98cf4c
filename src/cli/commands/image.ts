// `nova image ls|pull|import|inspect|rm`: the capsule image store.
import { resolve } from 'node:path';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { collect } from '../output.js';
import { writeErr } from '../terminal.js';
import { imageTable } from './capsule-format.js';
import { registerImageVmCommands } from './image-vm.js';

export function registerImageCommands(ctx: CliContext): void {
  const image = ctx.noun('image', 'Capsule images: pull, import, list, remove', ['images']);
  image.command('ls').alias('list').description('Images in the local store').action(async () => ctx.print(await ctx.call('image.list', {}), (v) => imageTable(v.items)));
  image
    .command('pull')
    .argument('<ref>')
    .description('Pull an image (default registry: NOVA_REGISTRY or docker.io)')
    .option('--insecure', 'plain HTTP / no TLS verification for this registry')
    .action(async (ref: string, o: { insecure?: boolean }) => {
      const off = ctx.opts.json ? undefined : ctx.engine.bus.on('task.progress', (t) => t.message && writeErr(`${t.message}\n`));
      try {
        ctx.print(await ctx.call('image.pull', { ref, ...(o.insecure ? { insecure: true } : {}) }), (i) => `pulled ${i.ref} ${i.digest.slice(0, 19)} (${formatBytes(i.sizeBytes)})`);
      } finally {
        off?.();
      }
    });
  image
    .command('import')
    .argument('<source>', 'rootfs folder or tarball')
    .requiredOption('--name <ref>', 'image name, e.g. "local/tools:1"')
    .option('--cmd <arg>', 'default command (repeatable, one argument each)', collect)
    .description('Import a root filesystem as an image')
    .action(async (source: string, o: { name: string; cmd?: string[] }) =>
      ctx.print(await ctx.call('image.import', { source: resolve(source), name: o.name, baseDir: process.cwd(), ...(o.cmd ? { cmd: o.cmd } : {}) }), (i) => `imported ${i.ref} ${i.digest.slice(0, 19)}`),
    );
  image.command('inspect').argument('<ref>').description('One image').action(async (ref: string) => ctx.print(await ctx.call('image.inspect', { ref }), (i) => imageTable([i])));
  image
    .command('rm')
    .argument('<ref>')
    .option('--force', 'remove even when capsules use it')
    .description('Remove an image')
    .action(async (ref: string, o: { force?: boolean }) => ctx.print(await ctx.call('image.rm', { ref, force: Boolean(o.force) }), (r) => `removed ${r.ref}`));
  registerImageVmCommands(ctx, image);
}
