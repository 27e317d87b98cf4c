import { createInterface } from 'node:readline/promises';
import type { RemoteHost } from '../../shared/contract/hosts.js';
import { NovaError } from '../../shared/errors.js';
import { formatBytes } from '../../shared/sizes.js';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { writeErr } from '../terminal.js';
import { clusterHostsTable } from './cluster.js';

// `nova host add|ls|rm`: other Nova hosts reached over SSH. These always act on this host's
// list, whatever --host says.

async function confirmKey(url: string, keys: { type: string; fingerprint: string }[]): Promise<boolean> {
  writeErr(`The SSH server at ${url} offers these host keys:\n${keys.map((k) => `  ${k.type.padEnd(20)} ${k.fingerprint}`).join('\n')}\n`);
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question('Compare with `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on that host. Pin and trust them? [y/N] ')).trim());
  } finally {
    rl.close();
  }
}

const human = (h: RemoteHost): string => {
  const free = h.usage ? `${h.usage.cpuFree}/${h.usage.cpus} CPU, ${formatBytes(h.usage.memoryAvailableBytes)} free` : '';
  return h.reachable ? `${h.name}: ${h.hostname ?? h.address}, Nova ${h.version ?? '?'}, ${h.accelerator?.toUpperCase() ?? '?'}, ${free}` : `${h.name}: unreachable — ${h.error ?? ''}`;
};

export function registerHostCommands(ctx: CliContext): void {
  const host = ctx.noun('host', 'This host: facts and readiness');
  host
    .command('add')
    .description('Add a remote Nova host over SSH (its host key is shown and pinned; key or agent auth, never passwords)')
    .argument('<name>', 'a short name for it, e.g. homelab')
    .argument('<url>', 'ssh://user@address[:port]/path/of/serve.sock (`nova serve --socket` there prints it)')
    .option('--fingerprint <SHA256:…>', 'the host key fingerprint you expect (for scripts; no question asked)')
    .option('-y, --yes', 'trust the key the host offers now without asking (first use)', false)
    .action(async (name: string, url: string, o: { fingerprint?: string; yes: boolean }) => {
      let fingerprint = o.fingerprint;
      if (!fingerprint) {
        const scan = await ctx.callLocal('host.scan', { url });
        const preferred = scan.keys.find((k) => k.type === 'ssh-ed25519') ?? scan.keys[0]!;
        if (!o.yes && !(await confirmKey(url, scan.keys))) {
          throw new NovaError('PERMISSION', process.stdin.isTTY ? 'not trusted: nothing was added' : 'no terminal to confirm the host key: pass --fingerprint SHA256:… (checked) or --yes (trust on first use)', { field: 'fingerprint' });
        }
        fingerprint = preferred.fingerprint;
      }
      const added = await ctx.callLocal('host.add', { name, url, fingerprint });
      ctx.print(added, (h) => `Added ${human(h)}\nPinned ${h.keys.map((k) => `${k.type} ${k.fingerprint}`).join(', ')}`);
    });
  host
    .command('ls')
    .alias('list')
    .description('Remote Nova hosts: reachable, Nova version, KVM/TCG, free CPU and memory')
    .argument('[name]', 'only this host')
    .action(async (name?: string) => {
      // The cluster this host is in (when it is one): its hosts alive or down, capacity, labels.
      const [list, cluster] = await Promise.all([ctx.callLocal('host.list', name ? { name } : {}), name ? undefined : ctx.callLocal('cluster.status', {}).catch(() => undefined)]);
      const r = { ...list, ...(cluster?.joined ? { cluster } : {}) };
      const clusterRows = cluster?.joined ? `\n\nCluster ${cluster.cluster} (${cluster.state}${cluster.reason ? `: ${cluster.reason}` : ''}):\n${clusterHostsTable(cluster)}` : '';
      ctx.print(r, (v) =>
        (v.items.length === 0 && cluster?.joined ? 'No remote hosts over SSH.' : v.items.length === 0
          ? 'No remote hosts. Add one with `nova host add NAME ssh://user@address/path/of/serve.sock`.'
          : table(v.items, [
              { header: 'NAME', get: (h) => h.name },
              { header: 'URL', get: (h) => h.url },
              { header: 'STATE', get: (h) => (h.reachable ? 'reachable' : 'unreachable') },
              { header: 'VERSION', get: (h) => h.version },
              { header: 'ACCEL', get: (h) => h.accelerator?.toUpperCase() },
              { header: 'CPU FREE', get: (h) => (h.usage ? `${h.usage.cpuFree}/${h.usage.cpus}` : undefined), align: 'right' },
              { header: 'MEM FREE', get: (h) => (h.usage ? formatBytes(h.usage.memoryAvailableBytes) : undefined), align: 'right' },
              { header: 'NOTE', get: (h) => (h.reachable ? `${h.latencyMs ?? '?'} ms` : h.error) },
            ])) + clusterRows,
      );
    });
  host
    .command('rm')
    .alias('remove')
    .description('Forget a remote host and its pinned keys (nothing changes on that host)')
    .argument('<name>', 'host name')
    .action(async (name: string) => {
      const r = await ctx.callLocal('host.remove', { name });
      ctx.print(r, (v) => `Removed host ${v.name}`);
    });
}
