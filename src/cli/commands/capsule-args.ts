// Argument helpers the capsule command files share.
import type { Command } from 'commander';
import { NovaError } from '../../shared/errors.js';

export function parseEnv(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new NovaError('INVALID_INPUT', `--env "${p.split('=')[0]}": write KEY=VALUE`);
    env[p.slice(0, i)] = p.slice(i + 1);
  }
  return env;
}

export /** A sub-command shared with other areas (e.g. `vm` next to `container` under `stop`). */
function sub(parent: Command, name: string, aliases: string[] = []): Command {
  const c = parent.command(name);
  for (const a of aliases) if (!parent.commands.some((x) => x !== c && (x.name() === a || x.aliases().includes(a)))) c.alias(a);
  return c;
}
