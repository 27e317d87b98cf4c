// `nova plan|up|down --cluster` (the requesting side). Up: place every item by CAS (nothing is
// applied when any item is refused), then write one request per project in etcd —
// /nova/<cluster>/deploy/<project> = { gen, text, hosts: { host: [items] } } — and wait until
// every alive host has applied its part through its own engine (its cluster agent runs
// `novafile.up` on it) and reported under /reports/<project>/<host>. Each step is idempotent,
// so a run cut short (etcd leader killed, a deadline passed) is converged by the next one.
import type { ClusterHostReport, ClusterPlanRow, ClusterUpResult } from '../../shared/contract/cluster.js';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { loadNovafile } from '../novafile/load.js';
import type { NovafileSource } from '../novafile/load.js';
import { projectFromDir } from '../novafile/model.js';
import { CLUSTER_PROJECT } from './ha-runner.js';
import type { ClusterConfig } from './config.js';
import { clusterItems, planCluster } from './deploy-plan.js';
import type { EtcdClient } from './etcd.js';
import { asHost, reportsOf, requestAndWait } from './deploy-wait.js';
import { checkHaVm, readSettings } from './ha-vm.js';
import { placeMany, readView, release } from './placement.js';

/** HA VMs of a NovaFile: every file inside the cluster's shared storage (else refused naming the item), placed only on hosts that see it. */
async function withShared(client: EtcdClient, config: ClusterConfig, items: ReturnType<typeof clusterItems>) {
  if (!items.some((i) => i.kind === 'vm' && i.ha)) return items;
  const settings = await readSettings(client, config.cluster);
  return items.map((i) => {
    if (i.kind !== 'vm' || !i.ha) return i;
    try {
      return { ...i, needsShared: checkHaVm(settings, i.vm) };
    } catch (e) {
      const err = e as NovaError;
      const details = (err.details ?? {}) as { field?: string };
      throw new NovaError(err.code, `${i.path}: ${err.message}`, { ...details, field: `${i.path}${String(details.field ?? '').replace(/^vm(?=\.|$)/, '')}` });
    }
  });
}

async function loaded(src: NovafileSource) {
  const l = await loadNovafile(src);
  const project = l.novafile.project ?? projectFromDir(l.dir);
  if (project === CLUSTER_PROJECT) throw new NovaError('INVALID_INPUT', `project: "${CLUSTER_PROJECT}" is where the cluster runs HA capsules: give the NovaFile another project = "…"`, { field: 'project' });
  return { ...l, project, items: clusterItems(l.novafile) };
}

export async function planDeploy(client: EtcdClient, config: ClusterConfig, src: NovafileSource) {
  const l0 = await loaded(src);
  const l = { ...l0, items: await withShared(client, config, l0.items) };
  const [view, reports] = await Promise.all([readView(client, config.cluster), reportsOf(client, config.cluster, l.project)]);
  return { project: l.project, file: l.file, rows: planCluster(view, l.project, l.items), hosts: [...reports].map(([h, r]) => asHost(h, r)) };
}

/** Carries out the placement rows by CAS: releases, moves (release + place), places. */
async function placeRows(client: EtcdClient, config: ClusterConfig, project: string, rows: ClusterPlanRow[], items: ReturnType<typeof clusterItems>, now: () => number): Promise<void> {
  for (const r of rows.filter((x) => x.action === 'release' || x.action === 'move')) await release(client, config.cluster, r.kind, r.name);
  const reqs = rows.filter((x) => x.action === 'place' || x.action === 'move').map((r) => {
    const i = items.find((x) => x.kind === r.kind && x.name === r.name)!;
    // The plan's host (a move stays pinned to it); placeMany() re-checks the room by CAS.
    return { kind: i.kind, name: i.name, memoryBytes: i.memoryBytes, cpus: i.cpus, host: i.host === 'auto' ? r.host ?? 'auto' : i.host, strategy: i.strategy, require: i.require, ha: i.ha, project, ...(i.spec ? { spec: i.spec } : {}), ...(i.vm && i.needsShared ? { vm: i.vm, needsShared: i.needsShared } : {}) };
  });
  await placeMany(client, config.cluster, reqs, now);
}

export async function upDeploy(engine: EngineContext, client: EtcdClient, config: ClusterConfig, src: NovafileSource & { timeoutMs: number }): Promise<ClusterUpResult> {
  const t0 = Date.now();
  const l0 = await loaded(src);
  const l = { ...l0, items: await withShared(client, config, l0.items) };
  const rows = planCluster(await readView(client, config.cluster), l.project, l.items);
  const refused = rows.filter((r) => r.action === 'refused');
  if (refused.length) {
    throw new NovaError('CONFLICT', `nothing applied: ${refused.length} item(s) cannot be placed:\n${refused.map((r) => `  ${r.kind} ${r.name}: ${r.reason}`).join('\n')}`, { field: 'host', rows, fix: 'free room (`nova cluster items`), add hosts, or change host / [placement] / sizes' });
  }
  await placeRows(client, config, l.project, rows, l.items, () => engine.clock.now());
  const view = await readView(client, config.cluster);
  const hosts: Record<string, string[]> = {};
  for (const [id, { record }] of view.items) if (record.project === l.project && !record.ha) (hosts[record.host] ??= []).push(id);
  const reports = await requestAndWait(client, config.cluster, { project: l.project, text: l.text, file: l.file, dir: l.dir, hosts }, config.name, engine.clock.now(), src.timeoutMs);
  // The rows as planned, with the host each item got (place() re-checked the room by CAS).
  const placed = rows.map((r) => ({ ...r, host: view.items.get(`${r.kind}/${r.name}`)?.record.host ?? r.host }));
  return finish(l.project, placed, reports, t0, 'up');
}

export async function downDeploy(engine: EngineContext, client: EtcdClient, config: ClusterConfig, src: NovafileSource & { project?: string; timeoutMs: number }): Promise<ClusterUpResult> {
  const t0 = Date.now();
  const project = src.project ?? (await loaded(src)).project;
  const view = await readView(client, config.cluster);
  const rows: ClusterPlanRow[] = [];
  for (const { record } of view.items.values()) {
    if (record.project !== project) continue;
    await release(client, config.cluster, record.kind, record.name);
    rows.push({ kind: record.kind, name: record.name, ha: record.ha, memoryBytes: record.memoryBytes, cpus: record.cpus, action: 'release', host: record.host, reason: 'nova down --cluster' });
  }
  const reports = await requestAndWait(client, config.cluster, { project, down: true, hosts: {} }, config.name, engine.clock.now(), src.timeoutMs);
  return finish(project, rows, reports, t0, 'down');
}

function finish(project: string, rows: ClusterPlanRow[], hosts: ClusterHostReport[], t0: number, verb: 'up' | 'down'): ClusterUpResult {
  const ok = hosts.every((h) => h.ok);
  const changed = hosts.filter((h) => h.changes.length || h.applied.length).length;
  const bad = hosts.filter((h) => !h.ok).map((h) => `${h.host}: ${h.message}`);
  const message = ok ? (changed ? `${verb === 'up' ? 'applied' : 'removed'} on ${changed} of ${hosts.length} host(s)` : 'no changes on any host') : `${bad.length} host(s) failed: ${bad.join('; ')}`;
  return { project, ok, message, rows, hosts, durationMs: Date.now() - t0 };
}
