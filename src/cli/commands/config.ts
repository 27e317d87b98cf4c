import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Prefs } from '../../shared/contract/prefs.js';
import { NovaError } from '../../shared/errors.js';
import type { CliContext } from '../context.js';

// `nova config`: this host's preferences (the same prefs.json the app edits). Its main use is the
// path policy: folders outside Nova's data dir, the project folder and (for a user engine) the
// home that VMs, capsules and outputs may use must be allowed here, on the host itself.

const showRoots = (p: Prefs) =>
  p.allowedRoots.length ? p.allowedRoots.join('\n') : 'No extra allowed folders (Nova uses its data dir, the project folder and, for a user, the home)';

/** An existing folder, absolute (relative to where the command was typed). */
function folder(path: string): string {
  const abs = resolve(path);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new NovaError('NOT_FOUND', `${abs} is not an existing folder`, { fix: `create it first (mkdir -p ${abs}) or name the folder that holds the files` });
  return abs;
}

export function registerConfigCommands(ctx: CliContext): void {
  const config = ctx.noun('config', "This host's preferences, such as the extra folders Nova may use (allowed roots)");

  config
    .command('get [key]')
    .description('Show every preference, or one (e.g. allowedRoots)')
    .action(async (key: keyof Prefs | undefined) => {
      const prefs = await ctx.call('prefs.get', {});
      if (key !== undefined && !(key in prefs)) throw new NovaError('NOT_FOUND', `no preference "${key}"`, { fix: `one of: ${Object.keys(prefs).join(', ')}` });
      const value = key === undefined ? prefs : prefs[key];
      ctx.print(value, (v) => (key === 'allowedRoots' ? showRoots(prefs) : JSON.stringify(v, null, 2)));
    });

  config
    .command('allow-root <folder>')
    .description('Let VMs, capsules and outputs use files under FOLDER (disk images, ISOs, kernels, bind mounts)')
    .action(async (path: string) => {
      const abs = folder(path);
      const { allowedRoots } = await ctx.call('prefs.get', {});
      const next = allowedRoots.includes(abs) ? allowedRoots : [...allowedRoots, abs];
      ctx.print(await ctx.call('prefs.set', { key: 'allowedRoots', value: next }), (p) => `Allowed ${abs}\n${showRoots(p)}`);
    });

  config
    .command('remove-root <folder>')
    .description('Stop allowing FOLDER (files already in use stay where they are)')
    .action(async (path: string) => {
      const abs = resolve(path);
      const { allowedRoots } = await ctx.call('prefs.get', {});
      if (!allowedRoots.includes(abs)) throw new NovaError('NOT_FOUND', `${abs} is not an allowed root`, { fix: `see them: nova config get allowedRoots` });
      const next = allowedRoots.filter((r) => r !== abs);
      ctx.print(await ctx.call('prefs.set', { key: 'allowedRoots', value: next }), (p) => `Removed ${abs}\n${showRoots(p)}`);
    });
}
