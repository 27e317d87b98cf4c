// Placement by compare-and-swap: each host has one allocation key (what is booked on it); an
// item is booked by one etcd transaction that puts the host's new allocation and the item's
// record only if the allocation's mod revision is still the one read and the item does not
// exist yet. Two racers for the last free memory: one transaction fails, re-reads, and finds no
// room — so a host is never overbooked, whatever the concurrency (issue #23: 20 × 512 MiB onto
// 4 GiB → 8 placed).
import { formatBytes } from '../../shared/sizes.js';
import { NovaError } from '../../shared/errors.js';
import type { ContainerSpec, VmSpec } from '../../shared/schemas/novafile.js';
import type { Placement } from '../../shared/contract/cluster.js';
import type { EtcdClient, KeyValue } from './etcd.js';
import { keys } from './config.js';

export interface Capacity {
  cpus: number;
  memoryTotalBytes: number;
  memoryAvailableBytes: number;
  allocatableMemoryBytes: number;
  allocatableCpus: number;
  diskFreeBytes: number;
  gpus: number;
  networks: string[];
  accelerator: string;
  /** The cluster's shared storage path, when this host sees it (HA VMs can run here). */
  sharedStorage?: string;
  at: number;
}

export interface HostInfo {
  address?: string;
  version?: string;
  labels: Record<string, string>;
  member: boolean;
}

export interface Allocation {
  items: Record<string, { memoryBytes: number; cpus: number }>;
}

/** The stored item: its placement plus, for HA capsules, what to create elsewhere. */
export interface ItemRecord extends Placement {
  spec?: ContainerSpec;
  /** An HA VM's spec, and the shared storage its files are in (only hosts that see it take it). */
  vm?: VmSpec;
  sharedStorage?: string;
}

export interface HostView {
  name: string;
  alive: boolean;
  info?: HostInfo;
  capacity?: Capacity;
  alloc: Allocation;
  allocRev: number;
}

export interface ClusterView {
  hosts: Map<string, HostView>;
  items: Map<string, { record: ItemRecord; rev: number }>;
}

const parse = <T>(kv: KeyValue | undefined): T | undefined => {
  if (!kv) return undefined;
  try {
    return JSON.parse(kv.value) as T;
  } catch {
    return undefined;
  }
};

export const booked = (a: Allocation) => Object.values(a.items).reduce((s, x) => ({ memoryBytes: s.memoryBytes + x.memoryBytes, cpus: s.cpus + x.cpus }), { memoryBytes: 0, cpus: 0 });

/** Hosts (alive, info, capacity, allocation) and items, read in one consistent range each. */
export async function readView(client: EtcdClient, cluster: string): Promise<ClusterView> {
  const k = keys(cluster);
  const [hosts, allocs, items] = await Promise.all([client.range(k.hosts), client.range(k.allocs), client.range(k.items)]);
  const view: ClusterView = { hosts: new Map(), items: new Map() };
  const host = (name: string) => {
    let h = view.hosts.get(name);
    if (!h) view.hosts.set(name, (h = { name, alive: false, alloc: { items: {} }, allocRev: 0 }));
    return h;
  };
  for (const kv of hosts.kvs) {
    const [name, what] = kv.key.slice(k.hosts.length).split('/');
    if (!name) continue;
    if (what === 'alive') host(name).alive = true;
    else if (what === 'capacity') host(name).capacity = parse<Capacity>(kv);
    else if (what === 'info') host(name).info = parse<HostInfo>(kv);
  }
  for (const kv of allocs.kvs) {
    const h = host(kv.key.slice(k.allocs.length));
    h.alloc = parse<Allocation>(kv) ?? { items: {} };
    h.allocRev = kv.modRevision;
  }
  for (const kv of items.kvs) {
    const record = parse<ItemRecord>(kv);
    if (record) view.items.set(kv.key.slice(k.items.length), { record, rev: kv.modRevision });
  }
  return view;
}

export interface Request {
  kind: 'capsule' | 'vm';
  name: string;
  memoryBytes: number;
  cpus: number;
  host: string;
  strategy: 'spread' | 'pack';
  require: Record<string, string>;
  ha: boolean;
  spec?: ContainerSpec;
  vm?: VmSpec;
  /** Only hosts that see this shared storage path (an HA VM's files). */
  needsShared?: string;
  /** The NovaFile project that declared it (`nova up --cluster`). */
  project?: string;
}

/** The host for `req` and why, or every host's reason for refusing it. */
export function choose(view: ClusterView, req: Pick<Request, 'memoryBytes' | 'cpus' | 'host' | 'strategy' | 'require' | 'needsShared'>, exclude: string[] = []): { host: string; reason: string } | { refused: string[] } {
  const refused: string[] = [];
  const fits: { h: HostView; freeMem: number; freeCpu: number }[] = [];
  for (const h of [...view.hosts.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    if (req.host !== 'auto' && h.name !== req.host) continue;
    if (exclude.includes(h.name)) continue;
    if (!h.alive || !h.capacity) {
      refused.push(`${h.name}: down (no alive key: its lease expired or it left)`);
      continue;
    }
    const lacking = Object.entries(req.require).filter(([l, v]) => h.info?.labels[l] !== v);
    if (lacking.length) {
      refused.push(`${h.name}: lacks label ${lacking.map(([l, v]) => `${l}=${v}`).join(', ')}`);
      continue;
    }
    if (req.needsShared && h.capacity.sharedStorage !== req.needsShared) {
      refused.push(`${h.name}: does not see the shared storage ${req.needsShared}`);
      continue;
    }
    const b = booked(h.alloc);
    const freeMem = h.capacity.allocatableMemoryBytes - b.memoryBytes;
    const freeCpu = h.capacity.allocatableCpus - b.cpus;
    if (freeMem < req.memoryBytes || freeCpu < req.cpus) {
      refused.push(`${h.name}: ${formatBytes(Math.max(0, freeMem))} and ${Math.max(0, freeCpu)} CPUs free of ${formatBytes(h.capacity.allocatableMemoryBytes)}/${h.capacity.allocatableCpus}`);
      continue;
    }
    fits.push({ h, freeMem, freeCpu });
  }
  if (req.host !== 'auto' && !view.hosts.has(req.host)) refused.push(`${req.host}: no such host in the cluster (see \`nova cluster status\`)`);
  if (!fits.length) return { refused };
  fits.sort((a, b) => (req.strategy === 'spread' ? b.freeMem - a.freeMem : a.freeMem - b.freeMem) || a.h.name.localeCompare(b.h.name));
  const best = fits[0]!;
  const rule = req.host !== 'auto' ? `pinned to ${req.host}` : req.strategy === 'spread' ? 'spread: the host with the most free memory' : 'pack: the fullest host it still fits on';
  const req_ = Object.keys(req.require).length ? `, has ${Object.entries(req.require).map(([l, v]) => `${l}=${v}`).join(', ')}` : '';
  return { host: best.h.name, reason: `${rule}${req_} (${formatBytes(best.freeMem)} and ${best.freeCpu} CPUs free before; ${fits.length} of ${view.hosts.size} hosts fit)` };
}

const jitter = (attempt: number) => new Promise((r) => setTimeout(r, Math.random() * Math.min(200, 10 * 2 ** Math.min(attempt, 5))));

/** The item already placed (on the host asked for, else CONFLICT), or the record for the host chosen on `view` (none fits: CONFLICT with every host's reason). */
function pickOn(view: ClusterView, req: Request, now: () => number): { existing: ItemRecord } | { record: ItemRecord } {
  const id = `${req.kind}/${req.name}`;
  const existing = view.items.get(id)?.record;
  if (existing) {
    if (req.host !== 'auto' && existing.host !== req.host) throw new NovaError('CONFLICT', `${id} is placed on ${existing.host}, not ${req.host}: release it first (\`nova cluster release ${req.kind} ${req.name}\`)`, { field: 'host' });
    return { existing };
  }
  const picked = choose(view, req);
  if ('refused' in picked) {
    throw new NovaError('CONFLICT', `no host can take ${id} (${formatBytes(req.memoryBytes)}, ${req.cpus} CPUs): ${picked.refused.join('; ') || 'no host is in the cluster'}`, { field: 'host', refused: picked.refused });
  }
  return { record: recordFor(req, picked, now) };
}

/** Books `req` on a host by CAS; returns the stored placement (the existing one when already placed there). */
export async function place(client: EtcdClient, cluster: string, req: Request, now: () => number, dryRun = false): Promise<Placement> {
  const k = keys(cluster);
  const id = `${req.kind}/${req.name}`;
  for (let attempt = 0; attempt < 40; attempt++) {
    const view = await readView(client, cluster);
    const got = pickOn(view, req, now);
    if ('existing' in got) return strip(got.existing);
    const { record } = got;
    if (dryRun) return strip(record);
    const h = view.hosts.get(record.host)!;
    const alloc: Allocation = { items: { ...h.alloc.items, [id]: { memoryBytes: req.memoryBytes, cpus: req.cpus } } };
    const r = await client.txn(
      [{ key: k.alloc(record.host), target: 'MOD', value: h.allocRev }, { key: k.item(req.kind, req.name), target: 'CREATE', value: 0 }],
      [{ put: { key: k.alloc(record.host), value: JSON.stringify(alloc) } }, { put: { key: k.item(req.kind, req.name), value: JSON.stringify(record) } }],
    );
    if (r.succeeded) return strip(record);
    await jitter(attempt);
  }
  throw new NovaError('TIMEOUT', `placing ${id}: the allocations kept changing under 40 attempts; try again`, { field: 'name' });
}

const recordFor = (req: Request, picked: { host: string; reason: string }, now: () => number): ItemRecord => ({
  kind: req.kind, name: req.name, host: picked.host, memoryBytes: req.memoryBytes, cpus: req.cpus, ha: req.ha, reason: picked.reason, placedAt: now(), moves: 0,
  ...(req.spec ? { spec: req.spec } : {}), ...(req.vm ? { vm: req.vm } : {}), ...(req.needsShared ? { sharedStorage: req.needsShared } : {}), ...(req.project ? { project: req.project } : {}),
});

/** etcd refuses a transaction of more than 128 operations (--max-txn-ops): a batch stays well under. */
const BATCH = 40;

/**
 * Places several items with one read of the view and one CAS transaction per BATCH (each
 * chosen on the view as the earlier ones of the batch left it), instead of a read and a
 * transaction per item: `nova up --cluster` of 30 items paid ~17 ms each. A batch is written
 * whole or not at all; a conflict re-reads and chooses the whole batch again.
 */
export async function placeMany(client: EtcdClient, cluster: string, reqs: Request[], now: () => number): Promise<Placement[]> {
  const out: Placement[] = [];
  for (let at = 0; at < reqs.length; at += BATCH) out.push(...(await placeBatch(client, cluster, reqs.slice(at, at + BATCH), now)));
  return out;
}

async function placeBatch(client: EtcdClient, cluster: string, reqs: Request[], now: () => number): Promise<Placement[]> {
  const k = keys(cluster);
  for (let attempt = 0; attempt < 40; attempt++) {
    const view = await readView(client, cluster);
    const revs = new Map<string, number>(); // host → the allocation revision the batch read
    const records: ItemRecord[] = [];
    const placed: Placement[] = [];
    for (const req of reqs) {
      const id = `${req.kind}/${req.name}`;
      const got = pickOn(view, req, now);
      if ('existing' in got) {
        placed.push(strip(got.existing));
        continue;
      }
      const { record } = got;
      const h = view.hosts.get(record.host)!;
      if (!revs.has(h.name)) revs.set(h.name, h.allocRev);
      h.alloc = { items: { ...h.alloc.items, [id]: { memoryBytes: req.memoryBytes, cpus: req.cpus } } }; // the next choice sees this booking
      view.items.set(id, { record, rev: 0 });
      records.push(record);
      placed.push(strip(record));
    }
    if (!records.length) return placed;
    const r = await client.txn(
      [...[...revs].map(([host, rev]) => ({ key: k.alloc(host), target: 'MOD' as const, value: rev })), ...records.map((rec) => ({ key: k.item(rec.kind, rec.name), target: 'CREATE' as const, value: 0 }))],
      [...[...revs.keys()].map((host) => ({ put: { key: k.alloc(host), value: JSON.stringify(view.hosts.get(host)!.alloc) } })), ...records.map((rec) => ({ put: { key: k.item(rec.kind, rec.name), value: JSON.stringify(rec) } }))],
    );
    if (r.succeeded) return placed;
    await jitter(attempt);
  }
  throw new NovaError('TIMEOUT', `placing ${reqs.length} items: the allocations kept changing under 40 attempts; try again`, { field: 'name' });
}

export const strip = (r: ItemRecord): Placement => ({ kind: r.kind, name: r.name, host: r.host, memoryBytes: r.memoryBytes, cpus: r.cpus, ha: r.ha, reason: r.reason, placedAt: r.placedAt, moves: r.moves, ...(r.project ? { project: r.project } : {}) });

/** Removes an item and its booking in one transaction. */
export async function release(client: EtcdClient, cluster: string, kind: string, name: string): Promise<boolean> {
  const k = keys(cluster);
  const id = `${kind}/${name}`;
  for (let attempt = 0; attempt < 40; attempt++) {
    const view = await readView(client, cluster);
    const item = view.items.get(id);
    if (!item) return false;
    const h = view.hosts.get(item.record.host);
    const alloc: Allocation = { items: { ...(h?.alloc.items ?? {}) } };
    delete alloc.items[id];
    const r = await client.txn(
      [{ key: k.item(kind, name), target: 'MOD', value: item.rev }, { key: k.alloc(item.record.host), target: 'MOD', value: h?.allocRev ?? 0 }],
      [{ del: { key: k.item(kind, name) } }, ...(h ? [{ put: { key: k.alloc(item.record.host), value: JSON.stringify(alloc) } }] : [])],
    );
    if (r.succeeded) return true;
    await jitter(attempt);
  }
  throw new NovaError('TIMEOUT', `releasing ${id}: it kept changing under 40 attempts; try again`, { field: 'name' });
}

/**
 * Moves an HA item off a host whose lease is gone: fenced first (the transaction holds only if
 * that host's alive key still does not exist), booked on the new host and unbooked on the old
 * one only if nobody moved the item or changed either allocation meanwhile. Returns the new
 * record, or undefined when another survivor won (or the host came back).
 */
export async function takeOver(client: EtcdClient, cluster: string, view: ClusterView, id: string, now: () => number): Promise<ItemRecord | undefined> {
  const k = keys(cluster);
  const item = view.items.get(id);
  if (!item) return undefined;
  const old = item.record.host;
  const picked = choose(view, { memoryBytes: item.record.memoryBytes, cpus: item.record.cpus, host: 'auto', strategy: 'spread', require: {}, ...(item.record.sharedStorage ? { needsShared: item.record.sharedStorage } : {}) }, [old]);
  if ('refused' in picked) return undefined;
  const to = view.hosts.get(picked.host)!;
  const from = view.hosts.get(old);
  const record: ItemRecord = { ...item.record, host: picked.host, moves: item.record.moves + 1, reason: `moved from ${old} (its lease expired) — ${picked.reason}`, placedAt: now() };
  const fromAlloc: Allocation = { items: { ...(from?.alloc.items ?? {}) } };
  delete fromAlloc.items[id];
  const toAlloc: Allocation = { items: { ...to.alloc.items, [id]: { memoryBytes: record.memoryBytes, cpus: record.cpus } } };
  const [kind, name] = id.split('/') as [string, string];
  const r = await client.txn(
    [
      { key: k.alive(old), target: 'CREATE', value: 0 },
      { key: k.item(kind, name), target: 'MOD', value: item.rev },
      { key: k.alloc(picked.host), target: 'MOD', value: to.allocRev },
      { key: k.alloc(old), target: 'MOD', value: from?.allocRev ?? 0 },
    ],
    [
      { put: { key: k.item(kind, name), value: JSON.stringify(record) } },
      { put: { key: k.alloc(picked.host), value: JSON.stringify(toAlloc) } },
      ...(from ? [{ put: { key: k.alloc(old), value: JSON.stringify(fromAlloc) } }] : []),
    ],
  );
  return r.succeeded ? record : undefined;
}
