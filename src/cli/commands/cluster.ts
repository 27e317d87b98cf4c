// `nova cluster init|token|join|leave|rotate-certs|status|place|release|items` (issue #23, docs/cluster.md).
import { readFileSync } from 'node:fs';
import type { ClusterHostReport, ClusterPlanRow, ClusterStatus, ClusterUpResult, Placement } from '../../shared/contract/cluster.js';
import { formatBytes } from '../../shared/sizes.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const labelsOf = (list: string[] = []) => Object.fromEntries(list.map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')]));

/** One row per cluster host: alive or down, address, bookings against what it may take, labels. */
export function clusterHostsTable(s: ClusterStatus): string {
  return table(s.hosts, [
    { header: 'HOST', get: (h) => h.name },
    { header: 'STATE', get: (h) => (h.alive ? 'alive' : 'down') },
    { header: 'ADDRESS', get: (h) => h.address },
    { header: 'CPUS', get: (h) => (h.capacity ? `${h.bookedCpus}/${h.capacity.allocatableCpus}` : undefined), align: 'right' },
    { header: 'MEMORY BOOKED', get: (h) => (h.capacity ? `${formatBytes(h.bookedMemoryBytes)}/${formatBytes(h.capacity.allocatableMemoryBytes)}` : undefined), align: 'right' },
    { header: 'MEM FREE', get: (h) => (h.capacity ? formatBytes(h.capacity.memoryAvailableBytes) : undefined), align: 'right' },
    { header: 'ITEMS', get: (h) => String(h.items), align: 'right' },
    { header: 'LABELS', get: (h) => Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-' },
  ]);
}

export function humanStatus(s: ClusterStatus): string {
  if (!s.joined) return 'This host is in no cluster. Start one with `nova cluster init --name NAME`, or join one with `nova cluster join TOKEN`.';
  const head = `Cluster ${s.cluster}: ${s.state.toUpperCase()}${s.reason ? ` — ${s.reason}` : ''}\nThis host: ${s.name} (${s.mode === 'managed' ? `etcd member${s.memberPid ? ` pid ${s.memberPid}` : ' not running'}` : `external etcd ${s.endpoints.join(', ')}`})${s.leader ? `, etcd leader: ${s.leader}` : ''}`;
  const hosts = s.hosts.length ? clusterHostsTable(s) : 'No hosts are known yet.';
  return `${head}\n${hosts}`;
}

const SIGN: Record<ClusterPlanRow['action'], string> = { place: '+', keep: '=', move: '~', release: '-', refused: '!' };

/** `nova plan --cluster`: each item, the host it goes to and why. */
export function humanClusterRows(rows: readonly ClusterPlanRow[]): string {
  const w = Math.max(0, ...rows.map((r) => `${r.kind} ${r.name}`.length));
  const hw = Math.max(0, ...rows.map((r) => (r.host ?? '-').length));
  return rows.map((r) => `  ${SIGN[r.action]} ${`${r.kind} ${r.name}`.padEnd(w)}  → ${(r.host ?? '-').padEnd(hw)}  ${r.action.padEnd(7)}  ${r.reason}${r.ha ? ' [HA]' : ''}`).join('\n');
}

/** One host's report: what changed there (drift marked) and what failed. */
export function humanHostReport(h: ClusterHostReport): string {
  const head = `  ${h.host}: ${h.state === 'done' ? (h.ok ? 'ok' : 'FAILED') : h.state.toUpperCase()} — ${h.message}`;
  const changes = h.changes.map((c) => `      ${c.blocked ? '!' : c.drift ? 'drift' : c.action} ${c.kind} ${c.name}: ${c.blocked ?? c.reasons.join('; ')}`);
  const failed = h.applied.filter((a) => a.status !== 'done').map((a) => `      ✗ ${a.action} ${a.kind} ${a.name}: ${a.message ?? a.status}`);
  return [head, ...changes, ...failed].join('\n');
}

export const humanClusterPlan = (p: { project: string; file: string; rows: ClusterPlanRow[]; hosts: ClusterHostReport[] }) =>
  [`Project ${p.project} on the cluster (${p.file})`, humanClusterRows(p.rows) || '  (nothing declared)', ...(p.hosts.length ? ['', 'Last report of each host:', ...p.hosts.map(humanHostReport)] : [])].join('\n');

export const humanClusterUp = (r: ClusterUpResult, verb: 'up' | 'down') =>
  [`Project ${r.project} (${verb} --cluster):`, ...(r.rows.length ? [humanClusterRows(r.rows)] : []), 'Hosts:', ...r.hosts.map(humanHostReport), `${r.ok ? 'Done' : 'Finished with errors'}: ${r.message} in ${(r.durationMs / 1000).toFixed(1)}s.`].join('\n');

/** `nova up --cluster` / `nova down --cluster`. */
export async function clusterApply(ctx: CliContext, verb: 'up' | 'down', src: { path?: string; cwd?: string; project?: string }): Promise<void> {
  const r = verb === 'up' ? await ctx.call('cluster.up', src) : await ctx.call('cluster.down', src);
  ctx.print(r, (v) => humanClusterUp(v, verb));
  if (!r.ok) process.exitCode = 1;
}

const humanPlacement = (p: Placement, dry: boolean) => `${dry ? 'Would place' : 'Placed'} ${p.kind} ${p.name} on ${p.host}: ${p.reason}${p.ha ? ' [HA]' : ''}`;

/** `nova cluster set` and `rotate-certs`: cluster-wide settings and this host's certificate. */
function registerClusterSettings(cluster: Command, ctx: CliContext): void {
  cluster.command('set').description('Cluster-wide settings (run on any member)')
    .requiredOption('--shared-storage <path|none>', 'a folder every host mounts at this same path: HA VMs keep their disks there ("none" removes it)')
    .action(async (o: { sharedStorage: string }) => {
      const r = await ctx.call('cluster.set', { sharedStorage: o.sharedStorage === 'none' ? null : o.sharedStorage });
      ctx.print(r, (v) => (v.sharedStorage ? `Shared storage: ${v.sharedStorage} (HA VMs with their files there fail over to the hosts that see it)` : 'No shared storage: HA VMs are refused'));
    });
  cluster.command('rotate-certs').description('A new key and certificate for this host from the cluster CA (its etcd member keeps running)')
    .option('--days <n>', 'validity of the new certificate in days', '365')
    .action(async (o: { days: string }) => {
      const r = await ctx.call('cluster.rotateCerts', { days: Number(o.days) });
      ctx.print(r, (v) => `${v.name}: new certificate serial ${v.serial}, valid until ${new Date(v.notAfter).toISOString()} (was serial ${v.previous.serial}, until ${new Date(v.previous.notAfter).toISOString()}); the agent renews it when less than 30 days are left`);
    });
}

export function registerClusterCommands(ctx: CliContext): void {
  const cluster = ctx.noun('cluster', 'Cluster mode on etcd: membership, placement, HA capsules');
  cluster.command('init').description('Start a cluster on this host (a cluster CA and this host\'s etcd member), or use an existing etcd with --etcd')
    .requiredOption('--name <host>', 'this host\'s name in the cluster')
    .option('--cluster <name>', 'the cluster\'s name', 'nova')
    .option('--address <ipv4>', 'the address the other hosts reach this one on (default: the first non-loopback IPv4)')
    .option('--etcd <url>', 'an existing etcd client URL (repeat for each); no member is started here', collect)
    .option('--etcd-ca <file>', 'CA certificate (PEM) of that etcd')
    .option('--etcd-cert <file>', 'client certificate (PEM) for that etcd')
    .option('--etcd-key <file>', 'client key (PEM) for that etcd')
    .option('--label <k=v>', 'a label placement can require (repeat)', collect)
    .option('--memory <size>', 'memory placement may book here (default: all)')
    .option('--cpus <n>', 'CPUs placement may book here (default: all)')
    .action(async (o: { name: string; cluster: string; address?: string; etcd?: string[]; etcdCa?: string; etcdCert?: string; etcdKey?: string; label?: string[]; memory?: string; cpus?: string }) => {
      const tls = o.etcdCa && o.etcdCert && o.etcdKey ? { ca: readFileSync(o.etcdCa, 'utf8'), cert: readFileSync(o.etcdCert, 'utf8'), key: readFileSync(o.etcdKey, 'utf8') } : undefined;
      const r = await ctx.call('cluster.init', {
        name: o.name, cluster: o.cluster, ...(o.address ? { address: o.address } : {}), ...(o.etcd ? { etcd: o.etcd } : {}), ...(tls ? { etcdTls: tls } : {}),
        labels: labelsOf(o.label), ...(o.memory || o.cpus ? { allocatable: { ...(o.memory ? { memory: o.memory } : {}), ...(o.cpus ? { cpus: Number(o.cpus) } : {}) } } : {}),
      });
      ctx.print(r, (s) => `${humanStatus(s)}\nAdd a host: \`nova cluster token NAME ADDRESS\` here, then \`nova cluster join TOKEN\` there.`);
    });
  cluster.command('token').description('A one-time token for a new host (run on any member)')
    .argument('<name>', 'the new host\'s name').argument('<address>', 'the IPv4 address the new host listens on')
    .option('--ttl <seconds>', 'how long the token stays valid unused', '900')
    .action(async (name: string, address: string, o: { ttl: string }) => {
      const r = await ctx.call('cluster.token', { name, address, ttlSeconds: Number(o.ttl) });
      ctx.print(r, (t) => `${t.token}\n\nOn ${name}: nova cluster join <token above>  (valid once, until ${new Date(t.expiresAt).toISOString()}; it holds ${name}'s key: pass it like a password)`);
    });
  cluster.command('join').description('Join this host to a cluster with a token from `nova cluster token`')
    .argument('<token>', 'the token (or - to read it from stdin)')
    .option('--label <k=v>', 'a label placement can require (repeat)', collect)
    .option('--memory <size>', 'memory placement may book here (default: all)')
    .option('--cpus <n>', 'CPUs placement may book here (default: all)')
    .action(async (token: string, o: { label?: string[]; memory?: string; cpus?: string }) => {
      const t = token === '-' ? readFileSync(0, 'utf8').trim() : token;
      const r = await ctx.call('cluster.join', { token: t, labels: labelsOf(o.label), ...(o.memory || o.cpus ? { allocatable: { ...(o.memory ? { memory: o.memory } : {}), ...(o.cpus ? { cpus: Number(o.cpus) } : {}) } } : {}) });
      ctx.print(r, humanStatus);
    });
  cluster.command('leave').description('Leave the cluster (its etcd member is removed; refused while items are placed here)')
    .action(async () => {
      const r = await ctx.call('cluster.leave', {});
      ctx.print(r, (v) => `${v.name} left cluster ${v.cluster}`);
    });
  registerClusterSettings(cluster, ctx);
  cluster.command('status').description('Healthy or degraded (and why), etcd members, hosts alive with capacity and bookings')
    .action(async () => ctx.print(await ctx.call('cluster.status', {}), humanStatus));
  cluster.command('place').description('Book an item on a host by CAS (never overbooks): a named host or auto')
    .argument('<kind>', 'capsule or vm').argument('<name>', 'its name')
    .requiredOption('--memory <size>', 'memory it needs, e.g. 512Mi')
    .option('--cpus <n>', 'CPUs it needs', '1')
    .option('--host <name|auto>', 'a host, or auto', 'auto')
    .option('--pack', 'fill the fullest host that fits (default: spread onto the emptiest)', false)
    .option('--require <k=v>', 'a label the host must have (repeat)', collect)
    .option('--dry-run', 'only say where it would go and why', false)
    .action(async (kind: 'capsule' | 'vm', name: string, o: { memory: string; cpus: string; host: string; pack: boolean; require?: string[]; dryRun: boolean }) => {
      const r = await ctx.call('cluster.place', { kind, name, memory: o.memory, cpus: Number(o.cpus), host: o.host, strategy: o.pack ? 'pack' : 'spread', require: labelsOf(o.require), dryRun: o.dryRun });
      ctx.print(r, (p) => humanPlacement(p, o.dryRun));
    });
  cluster.command('release').description('Remove an item\'s placement (its booking is given back)')
    .argument('<kind>', 'capsule or vm').argument('<name>', 'its name')
    .action(async (kind: 'capsule' | 'vm', name: string) => {
      const r = await ctx.call('cluster.release', { kind, name });
      ctx.print(r, (v) => (v.released ? `Released ${v.kind} ${v.name}` : `${v.kind} ${v.name} was not placed`));
    });
  cluster.command('items').alias('ls').description('Every placed item: host, booking, HA, why there')
    .action(async () => {
      const r = await ctx.call('cluster.items', {});
      ctx.print(r, (v) => (v.items.length ? table(v.items, [
    { header: 'KIND', get: (p) => p.kind }, { header: 'NAME', get: (p) => p.name }, { header: 'HOST', get: (p) => p.host },
    { header: 'MEMORY', get: (p) => formatBytes(p.memoryBytes), align: 'right' }, { header: 'CPUS', get: (p) => String(p.cpus), align: 'right' },
    { header: 'HA', get: (p) => (p.ha ? 'yes' : '-') }, { header: 'WHY', get: (p) => p.reason },
      ]) : 'Nothing is placed.'));
    });
}
