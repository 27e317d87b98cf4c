// Where each item of a NovaFile goes in the cluster, and why (`nova plan|up --cluster`): a pure
// function of the cluster view and the declared items, so every rule is unit-tested without
// etcd. Items are placed one after another on a copy of the view, so the plan books what the
// earlier items booked (20 items onto limited capacity: the plan says which do not fit).
import { formatBytes } from '../../shared/sizes.js';
import { parse, stringify } from 'smol-toml';
import type { ClusterPlanRow } from '../../shared/contract/cluster.js';
import type { ContainerSpec, NovaFile, PlacementSpec, VmSpec } from '../../shared/schemas/novafile.js';
import { CLUSTER_ITEM_KEYS } from '../../shared/schemas/novafile.js';
import type { Allocation, ClusterView, HostView, ItemRecord } from './placement.js';
import { choose } from './placement.js';

/** What a capsule without limits.memory books (it has no size of its own). */
export const CAPSULE_DEFAULT_MEMORY = 128 * 1024 ** 2;

export interface ClusterItem {
  kind: 'vm' | 'capsule';
  name: string;
  /** A host name, or "auto". */
  host: string;
  strategy: 'spread' | 'pack';
  require: Record<string, string>;
  ha: boolean;
  memoryBytes: number;
  cpus: number;
  /** HA capsules: what the owning host creates (cluster keys stripped). */
  spec?: ContainerSpec;
  /** HA VMs: what the owning host defines (cluster keys stripped). */
  vm?: VmSpec;
  /** HA VMs: only hosts that see this shared storage folder (set from the cluster's settings). */
  needsShared?: string;
  /** Where the NovaFile writes it, for messages ("container.api"). */
  path: string;
}

const strip = <T extends object>(spec: T): T => {
  const out = { ...spec } as Record<string, unknown>;
  for (const k of CLUSTER_ITEM_KEYS) delete out[k];
  return out as T;
};

/** The VMs and containers of a NovaFile with their cluster keys (`[placement]` merged under each item's own). */
export function clusterItems(nf: NovaFile): ClusterItem[] {
  const base: PlacementSpec = nf.placement ?? {};
  const of = (p: PlacementSpec | undefined) => ({ strategy: p?.strategy ?? base.strategy ?? 'spread', require: { ...(base.require ?? {}), ...(p?.require ?? {}) } });
  const out: ClusterItem[] = [];
  for (const [name, vm] of Object.entries(nf.vm)) {
    const ha = vm.ha ?? false;
    out.push({ kind: 'vm', name, host: vm.host ?? 'auto', ...of(vm.placement), ha, memoryBytes: vm.memory, cpus: vm.cpu, path: `vm.${name}`, ...(ha ? { vm: strip(vm) } : {}) });
  }
  for (const [name, c] of Object.entries(nf.container)) {
    const ha = c.ha ?? false;
    out.push({
      kind: 'capsule', name, host: c.host ?? 'auto', ...of(c.placement), ha,
      memoryBytes: c.limits.memory ?? CAPSULE_DEFAULT_MEMORY, cpus: Math.ceil(c.limits.cpu ?? 0), path: `container.${name}`,
      ...(ha ? { spec: strip(c) } : {}),
    });
  }
  return out;
}

const cloneView = (v: ClusterView): ClusterView => ({
  hosts: new Map([...v.hosts].map(([k, h]) => [k, { ...h, alloc: { items: { ...h.alloc.items } } } as HostView])),
  items: new Map(v.items),
});

const book = (v: ClusterView, host: string, id: string, it: { memoryBytes: number; cpus: number } | undefined) => {
  const h = v.hosts.get(host);
  if (!h) return;
  const items: Allocation['items'] = { ...h.alloc.items };
  if (it) items[id] = { memoryBytes: it.memoryBytes, cpus: it.cpus };
  else delete items[id];
  h.alloc = { items };
};

/**
 * One row per declared item (place / keep / move / refused) and one per item this project placed
 * before but no longer declares (release).
 */
export function planCluster(view: ClusterView, project: string, items: readonly ClusterItem[]): ClusterPlanRow[] {
  const v = cloneView(view);
  const rows: ClusterPlanRow[] = [];
  const declared = new Set(items.map((i) => `${i.kind}/${i.name}`));
  const row = (i: ClusterItem, r: Omit<ClusterPlanRow, 'kind' | 'name' | 'ha' | 'memoryBytes' | 'cpus'>): ClusterPlanRow => ({ kind: i.kind, name: i.name, ha: i.ha, memoryBytes: i.memoryBytes, cpus: i.cpus, ...r });
  // Releases first: what this project no longer declares frees room for what it does.
  for (const [id, { record }] of v.items) {
    if (record.project !== project || declared.has(id)) continue;
    book(v, record.host, id, undefined);
    rows.push({ kind: record.kind, name: record.name, ha: record.ha, memoryBytes: record.memoryBytes, cpus: record.cpus, action: 'release', host: record.host, reason: `no longer declared: released, and ${record.host} removes it` });
  }
  for (const i of items) {
    const id = `${i.kind}/${i.name}`;
    const existing: ItemRecord | undefined = v.items.get(id)?.record;
    if (existing && existing.project !== project) {
      rows.push(row(i, { action: 'refused', reason: `${id} is placed on ${existing.host} ${existing.project ? `by project ${existing.project}` : 'by `nova cluster place`'}: rename it, or release it there first` }));
      continue;
    }
    let note = '';
    if (existing) {
      const pinnedElsewhere = i.host !== 'auto' && existing.host !== i.host;
      const resized = existing.memoryBytes !== i.memoryBytes || existing.cpus !== i.cpus;
      const haChanged = existing.ha !== i.ha;
      if (!pinnedElsewhere && !resized && !haChanged) {
        const alive = v.hosts.get(existing.host)?.alive;
        rows.push(row(i, { action: 'keep', host: existing.host, reason: `placed on ${existing.host} before (${existing.reason})${alive ? '' : `; ${existing.host} is down${i.ha ? ': a survivor takes it over' : ': not applied until it returns'}`}` }));
        continue;
      }
      note = pinnedElsewhere
        ? `moved from ${existing.host} (pinned to ${i.host} now): `
        : resized
          ? `re-booked (${formatBytes(existing.memoryBytes)}/${existing.cpus} CPUs → ${formatBytes(i.memoryBytes)}/${i.cpus}): `
          : `re-placed (ha ${existing.ha} → ${i.ha}): `;
      book(v, existing.host, id, undefined);
    }
    // A re-booked item may stay where it is: try its host first.
    const pref = existing && i.host === 'auto' ? choose(v, { ...i, host: existing.host }) : undefined;
    const picked = pref && !('refused' in pref) ? pref : choose(v, i);
    if ('refused' in picked) {
      rows.push(row(i, { action: 'refused', reason: `no host can take ${id} (${formatBytes(i.memoryBytes)}, ${i.cpus} CPUs): ${picked.refused.join('; ') || 'no host is in the cluster'}` }));
      if (existing) book(v, existing.host, id, existing);
      continue;
    }
    book(v, picked.host, id, i);
    rows.push(row(i, { action: existing ? 'move' : 'place', host: picked.host, reason: `${note}${picked.reason}` }));
  }
  return rows;
}

/**
 * The part of a NovaFile one host applies: its VMs and containers (not HA ones: the cluster agent
 * runs those), the networks they attach to, no cluster keys. Made from the raw TOML so what the
 * host validates is what the user wrote.
 */
export function hostNovafile(text: string, project: string, names: readonly string[]): string {
  const raw = parse(text) as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const pick = (section: 'vm' | 'container') => Object.fromEntries(Object.entries(raw[section] ?? {}).filter(([n]) => names.includes(`${section === 'vm' ? 'vm' : 'capsule'}/${n}`)).map(([n, s]) => [n, strip(s)]));
  const vm = pick('vm');
  const container = pick('container');
  const nets = new Set<string>();
  for (const s of Object.values(vm)) {
    if (typeof s.network === 'string') nets.add(s.network);
    for (const n of (s.nics as { network?: string }[] | undefined) ?? []) if (n.network) nets.add(n.network);
  }
  for (const s of Object.values(container)) if (typeof s.network === 'string') nets.add(s.network);
  const network = Object.fromEntries(Object.entries(raw.network ?? {}).filter(([n]) => nets.has(n)));
  return stringify({ project, ...(Object.keys(network).length ? { network } : {}), ...(Object.keys(vm).length ? { vm } : {}), ...(Object.keys(container).length ? { container } : {}) });
}
