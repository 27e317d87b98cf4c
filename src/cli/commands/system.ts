import type { IntegrationStatus } from '../../shared/contract/system.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

const LABEL = { cli: '`nova` on PATH', 'hydrate-unit': 'boot-time network hydrate', 'privd-socket': 'privileged helper socket', 'privd-service': 'privileged helper service', 'polkit-policy': 'polkit policy' } as const;

function formatStatus(s: IntegrationStatus): string {
  const rows = table(s.items, [
    { header: 'ITEM', get: (i) => LABEL[i.name] },
    { header: 'STATE', get: (i) => (i.installed ? 'installed' : 'missing') },
    { header: 'PATH', get: (i) => i.path },
    { header: 'DETAIL', get: (i) => i.detail },
  ]);
  const enabled = s.hydrateEnabled === undefined ? '' : `\nnova-hydrate.service is ${s.hydrateEnabled ? 'enabled' : 'not enabled'}`;
  const changed = s.changed.length ? `${s.changed.map((c) => `✓ ${c}`).join('\n')}\n\n` : '';
  return `${changed}${rows}${enabled}`;
}

export function registerSystemCommands(ctx: CliContext): void {
  const system = ctx.noun('system', "Nova's own integration with this host (for source installs; packages do this at install)");
  const destdir = ['--destdir <dir>', 'stage the files under this root instead of / (no root needed)'] as const;
  system
    .command('status')
    .description('Show whether `nova` is on PATH, the boot-time hydrate unit and the polkit policy are installed')
    .option(...destdir)
    .action(async (o: { destdir?: string }) => ctx.print(await ctx.call('system.status', { destdir: o.destdir }), formatStatus));
  system
    .command('install')
    .description("Link `nova` into /usr/local/bin, install nova-hydrate.service and the helper's units (enabled) and the polkit policy (as root, or through nova privd when polkit allows org.nova.manage-system)")
    .option(...destdir)
    .action(async (o: { destdir?: string }) => ctx.print(await ctx.call('system.install', { destdir: o.destdir }), formatStatus));
  system
    .command('uninstall')
    .description('Remove what `nova system install` added (VM, capsule and network state stays; through nova privd like install)')
    .option(...destdir)
    .action(async (o: { destdir?: string }) => ctx.print(await ctx.call('system.uninstall', { destdir: o.destdir }), formatStatus));
}
