// The requesting side of `nova up|down --cluster`: writes the project's request to etcd and
// waits for every alive host's report on it. It waits on an etcd watch of the cluster's keys
// (from the revision of its own put, so nothing in between is missed): a host's report, a host's
// alive key going away (its lease expired), or the request replaced by another run wake it; then
// it reads the reports once. Nothing is read while nothing changes, but one read every
// SAFETY_MS covers a watch stream cut silently (a partition between this host and its member),
// and one at the deadline names the hosts that did not answer.
import { randomBytes } from 'node:crypto';
import type { ClusterHostReport } from '../../shared/contract/cluster.js';
import { NovaError } from '../../shared/errors.js';
import { keys } from './config.js';
import type { DeployReport, DeployRequest } from './deploy-agent.js';
import type { EtcdClient } from './etcd.js';
import { readView } from './placement.js';

const SAFETY_MS = 5000;

export async function reportsOf(client: EtcdClient, cluster: string, project: string): Promise<Map<string, DeployReport>> {
  const prefix = keys(cluster).reports(project);
  const r = await client.range(prefix);
  return new Map(r.kvs.map((kv) => [kv.key.slice(prefix.length), JSON.parse(kv.value) as DeployReport]));
}

export const asHost = (host: string, r: DeployReport): ClusterHostReport => ({ host, state: 'done', ok: r.ok, message: r.message, changes: r.changes, applied: r.applied, at: r.at });

/** A wake-up flag: fire() any number of times; wait() returns at once if fired since the last wait. */
class Waker {
  private fired = false;
  private resolve: (() => void) | undefined;
  fire(): void {
    this.fired = true;
    this.resolve?.();
  }
  async wait(ms: number): Promise<void> {
    if (!this.fired) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, ms));
        this.resolve = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    this.fired = false;
    this.resolve = undefined;
  }
}

/** One look at the reports: every wanted host's row, or undefined while some alive host is still to answer. */
async function progress(client: EtcdClient, cluster: string, full: DeployRequest, end: number, timeoutMs: number): Promise<ClusterHostReport[] | undefined> {
  const k = keys(cluster);
  const [view, reports, current] = await Promise.all([readView(client, cluster), reportsOf(client, cluster, full.project), client.get(k.deploy(full.project))]);
  const now = current ? (JSON.parse(current.value) as DeployRequest) : undefined;
  if (now?.gen !== full.gen) throw new NovaError('CONFLICT', `another \`nova ${full.down ? 'down' : 'up'} --cluster\` of project ${full.project} replaced this one (from ${now ? now.by : 'nowhere'}): its run reports instead`, { field: 'project' });
  // Every alive host answers (one with nothing to do prunes what it ran before); a dead one cannot.
  const wanted = new Set([...[...view.hosts.values()].filter((h) => h.alive).map((h) => h.name), ...Object.keys(full.hosts)]);
  const out: ClusterHostReport[] = [];
  let pending = 0;
  for (const h of [...wanted].sort()) {
    const r = reports.get(h);
    if (r?.gen === full.gen) out.push(asHost(h, r));
    else if (!view.hosts.get(h)?.alive) out.push({ host: h, state: 'down', ok: false, message: `${h} is down (its lease expired): ${(full.hosts[h] ?? []).join(', ') || 'its part'} not applied; the next run applies it once it is back`, changes: [], applied: [] });
    else if (Date.now() >= end) out.push({ host: h, state: 'timeout', ok: false, message: `${h} did not report within ${timeoutMs / 1000}s: is \`nova serve\` or the app running there? (its cluster agent applies its part)`, changes: [], applied: [] });
    else pending++;
  }
  return pending ? undefined : out;
}

/** Writes the request and waits for every alive host's report on it (or its death, or the deadline). */
export async function requestAndWait(client: EtcdClient, cluster: string, req: Omit<DeployRequest, 'gen' | 'at' | 'by'>, by: string, now: number, timeoutMs: number): Promise<ClusterHostReport[]> {
  const k = keys(cluster);
  const full: DeployRequest = { ...req, gen: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`, at: now, by };
  const rev = await client.put(k.deploy(req.project), JSON.stringify(full));
  const end = Date.now() + timeoutMs;
  const waker = new Waker();
  const stop = new AbortController();
  const relevant = (key: string) => key.startsWith(k.reports(req.project)) || key === k.deploy(req.project) || (key.startsWith(k.hosts) && key.endsWith('/alive'));
  // A broken stream reconnects by itself (from the next revision); a read then catches up.
  client.watch(k.root, rev + 1, (e) => relevant(e.kv.key) && waker.fire(), stop.signal, () => waker.fire());
  try {
    for (;;) {
      const done = await progress(client, cluster, full, end, timeoutMs);
      if (done) return done;
      await waker.wait(Math.min(SAFETY_MS, end - Date.now()));
    }
  } finally {
    stop.abort();
  }
}
