// Cluster mode (#23) on a lab of three hosts — network namespaces, each with its own NOVA_HOME,
// a real `nova serve` as an ordinary user and the etcd member its engine runs (mTLS):
// - cluster-idle-*: CPU of each host's `nova serve` over idle windows before the host is in a
//   cluster (baseline) and after (the cluster agent renews its lease every 1.5 s, publishes its
//   capacity, watches for HA work), and of its etcd member; the platform's overhead (agent's share
//   + etcd) in % of the whole host (all cores). Goals: engine < 0.5 % of one core per host,
//   platform < 1 % of the host.
// - cluster-place-vs-txn: `cluster.place` over the engine's local socket (read the view, choose,
//   one CAS transaction) against one raw etcd transaction of the same shape sent by a helper in
//   the same namespace over a kept-alive mTLS connection, also reached over a local socket;
//   interleaved. Report.
// - cluster-up-30: `nova up --cluster` of 30 capsules spread on 3 hosts against `nova up` of the
//   same 30 on one host (the issue: ≤ 1.3×); interleaved, every run from nothing (down after).
// - cluster-failover-capsule: a host killed (-9: its nova, etcd and capsules) → its HA capsule
//   running on another host (goal < 30 s); the host is started again between runs.
// NOVA_CLUSTER_IDLE_SECONDS (60) per idle window, NOVA_BENCH_RUNS overrides every run count.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { ClusterStatus, ClusterUpResult, Placement } from '../src/shared/contract/cluster.js';
import type { ClusterLab } from '../src/test/cluster-lab.js';
import { waitFor } from '../src/test/wait.js';
import { cpuOf, formCluster, HOSTS, importImage, postUnix, rawPlacementTxn, rssMiB, startLab, startRawHelper } from './cluster-lab.js';
import { interleave, runsOr, spreadFields, spreadOf, timed } from './sample.js';
import { saveResult } from './types.js';
import type { BenchResult } from './types.js';

const SECONDS = Number(process.env.NOVA_CLUSTER_IDLE_SECONDS ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** % of one core each pid used over one window, all pids measured in the same window. */
async function window(pids: number[]): Promise<number[]> {
  const at = (p: number) => {
    const c = cpuOf(p);
    return c.own + c.children;
  };
  const a = pids.map(at);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const secs = (performance.now() - t0) / 1000;
  return pids.map((p, i) => (100 * (at(p) - a[i]!)) / secs);
}

async function idle(lab: ClusterLab, windows: number, before: number[]): Promise<BenchResult[]> {
  const serve = HOSTS.map((h) => lab.host(h).serve!.pid!);
  const etcd = await Promise.all(HOSTS.map(async (h) => (await lab.call<ClusterStatus>(h, 'cluster.status')).memberPid!));
  await sleep(5000); // the agents settle (first capacity reports)
  const inCluster: number[] = [];
  const members: number[] = [];
  for (let w = 0; w < windows; w++) {
    const x = await window([...serve, ...etcd]);
    inCluster.push(...x.slice(0, 3));
    members.push(...x.slice(3));
  }
  const s = spreadOf(inCluster);
  const b = spreadOf(before);
  const e = spreadOf(members);
  const agent = Math.max(0, s.median - b.median);
  const cores = availableParallelism();
  const hostShare = (agent + e.median) / cores;
  const how = `3 hosts on this ${cores}-core machine, ${windows} windows of ${SECONDS} s each side, sources via tsx (no out/cli bundle), medians over hosts × windows`;
  const rss = Math.max(...etcd.map(rssMiB));
  return [
    await saveResult({ name: 'cluster-idle-serve-cpu', metric: `CPU of an idle nova serve in a 3-host cluster, % of one core; baseline: the same processes before they joined (${how})`, unit: '%', value: s.median, baseline: b.median, ratio: b.median ? s.median / b.median : null, goal: '< 0.5 % of one core', met: s.median < 0.5, ...spreadFields(s, b) }),
    await saveResult({ name: 'cluster-idle-agent-cpu', metric: `the cluster agent's share of it (in cluster − before), % of one core (${how})`, unit: '%', value: agent, baseline: null, ratio: null, goal: 'report' }),
    await saveResult({ name: 'cluster-idle-etcd-cpu', metric: `CPU of each host's etcd member, idle cluster, % of one core (${how}); RSS up to ${rss.toFixed(0)} MiB`, unit: '%', value: e.median, baseline: null, ratio: null, goal: 'report', ...spreadFields(e) }),
    await saveResult({ name: 'cluster-idle-overhead-host', metric: `platform overhead per host: the agent's share + its etcd member, % of the whole host (${cores} cores)`, unit: '%', value: hostShare, baseline: null, ratio: null, goal: '< 1 % of the host', met: hostShare < 1 }),
  ];
}

async function placement(lab: ClusterLab, runs: number): Promise<BenchResult> {
  const raw = await startRawHelper(lab, 'h1');
  let version = 0;
  let n = 0;
  try {
    const nova = () => timed(() => lab.call<Placement>('h1', 'cluster.place', { kind: 'capsule', name: `pb${n++}`, memory: '1Mi', cpus: 0 }));
    const txn = () =>
      timed(async () => {
        const r = JSON.parse(await postUnix(raw.socket, '/', rawPlacementTxn(version, version))) as { succeeded?: boolean };
        if (!r.succeeded) throw new Error('raw etcd txn did not succeed');
        version++;
      });
    const r = await interleave(nova, txn, runs, 3);
    const a = spreadOf(r.a);
    const b = spreadOf(r.b);
    return await saveResult({ name: 'cluster-place-vs-txn', metric: `cluster.place over the engine's local socket (read view + choose + CAS txn) vs one raw etcd txn of the same shape (2 compares, 2 puts) over a kept-alive mTLS connection, both from h1's namespace to its member; median of ${runs}, interleaved`, unit: 'ms', value: a.median, baseline: b.median, ratio: a.median / b.median, goal: 'report', ...spreadFields(a, b) });
  } finally {
    raw.child.kill('SIGKILL');
    const items = (await lab.call<{ items: Placement[] }>('h1', 'cluster.items')).items;
    for (const i of items.filter((x) => x.name.startsWith('pb'))) await lab.call('h1', 'cluster.release', { kind: i.kind, name: i.name });
  }
}

async function upThirty(lab: ClusterLab, image: string, runs: number): Promise<BenchResult> {
  const body = Array.from({ length: 30 }, (_, i) => `[container.c${i}]\ncapsule = "${image}"\ncommand = ["sleep", "100000"]\nnetwork = "none"\n`).join('');
  const src = (project: string) => ({ text: `project = "${project}"\n${body}`, cwd: lab.dir, path: join(lab.dir, 'NovaFile') });
  const cluster = async () => {
    const ms = await timed(async () => {
      const r = await lab.call<ClusterUpResult>('h1', 'cluster.up', src('cb'), 600_000);
      if (!r.ok) throw new Error(`up --cluster: ${r.message}`);
    });
    await lab.call('h1', 'cluster.down', { project: 'cb' }, 600_000);
    return ms;
  };
  const one = async () => {
    const ms = await timed(async () => {
      const r = await lab.call<{ ok: boolean; message: string }>('h1', 'novafile.up', src('cs'), 600_000);
      if (!r.ok) throw new Error(`up: ${r.message}`);
    });
    await lab.call('h1', 'novafile.down', { project: 'cs', cwd: lab.dir }, 600_000);
    return ms;
  };
  const r = await interleave(cluster, one, runs, 0);
  const a = spreadOf(r.a);
  const b = spreadOf(r.b);
  return saveResult({ name: 'cluster-up-30', metric: `nova up --cluster of 30 capsules (spread on 3 hosts, each host's agent applies its part) vs nova up of the same 30 on one host, from nothing each run; median of ${runs}, interleaved`, unit: 'ms', value: a.median, baseline: b.median, ratio: a.median / b.median, goal: '<= 1.3x', met: a.median / b.median <= 1.3, ...spreadFields(a, b) });
}

async function failover(lab: ClusterLab, image: string, runs: number): Promise<BenchResult> {
  const spec = { capsule: image, command: ['sh', '-c', 'while true; do sleep 1; done'], network: 'none' };
  const running = async (h: string) => (await lab.call<{ items: { name: string; state: string }[] }>(h, 'capsule.list', { project: 'cluster' })).items.find((c) => c.name === 'hab')?.state === 'running';
  const first = await lab.call<Placement>('h2', 'cluster.place', { kind: 'capsule', name: 'hab', memory: '64Mi', cpus: 0, ha: true, spec });
  let owner = first.host;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await waitFor(`hab running on ${owner}`, () => running(owner), 60_000, 200).catch(async (e: Error) => {
      const events = await lab.call<ClusterStatus>(owner, 'cluster.status').then((x) => x.events.join('\n'), (x: Error) => x.message);
      throw new Error(`${e.message}; ${owner}'s agent: ${events}`);
    });
    const survivors = HOSTS.filter((h) => h !== owner);
    const t0 = performance.now();
    lab.kill(owner);
    const where = await waitFor('hab running on a survivor', async () => {
      for (const h of survivors) if (await running(h).catch(() => false)) return h;
      return undefined;
    }, 90_000, 100);
    times.push(performance.now() - t0);
    await lab.startServe(owner);
    await waitFor(`${owner} back`, async () => (await lab.call<ClusterStatus>(where, 'cluster.status')).hosts.filter((x) => x.alive).length === 3, 90_000, 300);
    owner = where;
  }
  await lab.call('h1', 'cluster.release', { kind: 'capsule', name: 'hab' });
  const s = spreadOf(times.map((t) => t / 1000));
  return saveResult({ name: 'cluster-failover-capsule', metric: `a host killed (-9: nova, etcd, capsules) → its HA capsule running on another host (lease TTL 5 s, agent tick 1.5 s); median of ${runs}, the host restarted between runs`, unit: 's', value: s.median, baseline: null, ratio: null, goal: '< 30 s', met: s.median < 30, ...spreadFields(s) });
}

export async function run(): Promise<BenchResult[]> {
  const lab = await startLab();
  try {
    const windows = runsOr(2);
    await sleep(5000);
    const before: number[] = [];
    for (let w = 0; w < windows; w++) before.push(...(await window(HOSTS.map((h) => lab.host(h).serve!.pid!))));
    await formCluster(lab);
    const out = await idle(lab, windows, before);
    out.push(await placement(lab, runsOr(30)));
    const image = await importImage(lab);
    out.push(await upThirty(lab, image, runsOr(3)));
    out.push(await failover(lab, image, runsOr(3)));
    return out;
  } finally {
    lab.cleanup();
  }
}
