import { z } from 'zod';
import { resourceName } from '../names.js';
import { containerSpec, vmSpec } from '../schemas/novafile.js';
import { size } from '../schemas/fields.js';
import { procedure } from './define.js';
import { applyOutcome, planChange } from './novafile-apply.js';
import { lazy } from '../lazy.js';

// Cluster mode (issue #23): hosts share one etcd (a member per host that Nova runs, or one that
// exists); each host holds a lease-bound alive key and publishes its capacity; items are placed
// by compare-and-swap on per-host allocation keys; HA capsules move when their host's lease ends.

const hostName = lazy(() => z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'host name: 1-32 lowercase letters, digits or "-", e.g. "node1"'));
const clusterName = lazy(() => z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'cluster name: 1-32 lowercase letters, digits or "-", e.g. "lab"'));
const etcdUrl = lazy(() => z.string().regex(/^https?:\/\/[^\s/]+(:\d+)?\/?$/, 'an etcd client URL like https://10.0.0.2:2379'));
const ipv4Address = lazy(() => z.string().regex(/^(\d{1,3})(\.\d{1,3}){3}$/, 'an IPv4 address of this host that the other hosts reach, e.g. 10.0.0.2'));
const labels = lazy(() => z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, 'label names: lowercase letters, digits, "_", "." or "-"'), z.string().max(128)));
const port = lazy(() => z.number().int().min(1024).max(65535));

/** What this host lets placement book (default: its CPUs and its memory total). */
const allocatable = lazy(() => z.object({ memory: size.optional(), cpus: z.number().int().min(1).max(4096).optional() }).strict());

export const clusterCapacity = lazy(() => z.object({
  cpus: z.number(),
  memoryTotalBytes: z.number(),
  memoryAvailableBytes: z.number(),
  /** What placement may book here, and what is booked. */
  allocatableMemoryBytes: z.number(),
  allocatableCpus: z.number(),
  diskFreeBytes: z.number(),
  /** GPUs this host has (passthrough candidates). */
  gpus: z.number(),
  networks: z.array(z.string()),
  accelerator: z.string(),
  /** The cluster's shared storage path, when this host sees it (HA VMs can run here). */
  sharedStorage: z.string().optional(),
  at: z.number(),
}));

export const clusterHost = lazy(() => z.object({
  name: z.string(),
  /** Its alive key exists (its lease is being renewed). */
  alive: z.boolean(),
  address: z.string().optional(),
  version: z.string().optional(),
  labels: z.record(z.string(), z.string()),
  capacity: clusterCapacity.optional(),
  bookedMemoryBytes: z.number(),
  bookedCpus: z.number(),
  items: z.number(),
  /** An etcd member of the cluster runs on it (managed mode). */
  member: z.boolean(),
}));
export type ClusterHost = z.infer<typeof clusterHost>;

export const clusterStatus = lazy(() => z.object({
  /** This host is in a cluster. */
  joined: z.boolean(),
  cluster: z.string().optional(),
  name: z.string().optional(),
  mode: z.enum(['managed', 'external']).optional(),
  /** healthy: etcd answers and this host's lease is held; degraded: the reason is in `reason`. */
  state: z.enum(['none', 'healthy', 'degraded']),
  reason: z.string().optional(),
  endpoints: z.array(z.string()),
  /** This host's etcd member process (managed mode). */
  memberPid: z.number().optional(),
  leader: z.string().optional(),
  members: z.array(z.object({ id: z.string(), name: z.string(), peerURLs: z.array(z.string()), clientURLs: z.array(z.string()), started: z.boolean() })),
  hosts: z.array(clusterHost),
  /** What this host's cluster agent did lately (started, moved, removed, fenced), newest last. */
  events: z.array(z.string()).default([]),
}));
export type ClusterStatus = z.infer<typeof clusterStatus>;

export const placementKind = lazy(() => z.enum(['capsule', 'vm']));
export const placement = lazy(() => z.object({
  kind: placementKind,
  name: z.string(),
  host: z.string(),
  memoryBytes: z.number(),
  cpus: z.number(),
  ha: z.boolean(),
  /** Why this host (the rule and the figures that decided). */
  reason: z.string(),
  placedAt: z.number(),
  /** How many hosts have moved it (0: where it was placed). */
  moves: z.number(),
  /** The NovaFile project that placed it (`nova up --cluster`). */
  project: z.string().optional(),
}));
export type Placement = z.infer<typeof placement>;

/** Where one NovaFile item goes in the cluster and why (`nova plan --cluster`). */
export const clusterPlanRow = lazy(() => z.object({
  kind: placementKind,
  name: z.string(),
  /** place: booked on a host now; keep: placed before, unchanged; move: re-placed (pinned elsewhere, resized); release: no longer declared; refused: no host can take it. */
  action: z.enum(['place', 'keep', 'move', 'release', 'refused']),
  host: z.string().optional(),
  reason: z.string(),
  ha: z.boolean(),
  memoryBytes: z.number(),
  cpus: z.number(),
}));
export type ClusterPlanRow = z.infer<typeof clusterPlanRow>;

/** One host's answer to a `nova up|down --cluster` (written by that host's agent). */
export const clusterHostReport = lazy(() => z.object({
  host: z.string(),
  /** done: applied (ok or with errors: see ok); down: its lease is gone; timeout: alive but no answer in time. */
  state: z.enum(['done', 'down', 'timeout']),
  ok: z.boolean(),
  message: z.string(),
  /** What its plan changed, drift included (noop rows left out). */
  changes: z.array(planChange).default([]),
  applied: z.array(applyOutcome).default([]),
  at: z.number().optional(),
}));
export type ClusterHostReport = z.infer<typeof clusterHostReport>;

const novafileSource = { path: lazy(() => z.string().optional()), cwd: lazy(() => z.string().optional()), text: lazy(() => z.string().optional()) };

export const clusterUpOutput = lazy(() => z.object({
  project: z.string(),
  ok: z.boolean(),
  message: z.string(),
  rows: z.array(clusterPlanRow),
  hosts: z.array(clusterHostReport),
  durationMs: z.number(),
}));
export type ClusterUpResult = z.infer<typeof clusterUpOutput>;

export const clusterProcedures = {
  'cluster.init': procedure({
    summary: 'Start a cluster on this host (a cluster CA and this host\'s etcd member), or join this host to an etcd that exists (etcd: URLs)',
    input: lazy(() => z
      .object({
        name: hostName,
        cluster: clusterName.default('nova'),
        address: ipv4Address.optional(),
        clientPort: port.default(2379),
        peerPort: port.default(2380),
        /** An existing etcd's client URLs instead of a member run by Nova. */
        etcd: z.array(etcdUrl).max(9).optional(),
        /** PEM text (not paths) for an existing etcd that wants TLS client certificates. */
        etcdTls: z.object({ ca: z.string().min(1), cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
        labels: labels.default({}),
        allocatable: allocatable.optional(),
      })
      .strict()),
    output: clusterStatus,
  }),
  'cluster.token': procedure({
    summary: 'A one-time token for a new host to join (its certificate, for the address it will listen on); expires unused',
    input: lazy(() => z.object({ name: hostName, address: ipv4Address, ttlSeconds: z.number().int().min(30).max(86_400).default(900) }).strict()),
    output: lazy(() => z.object({ token: z.string(), name: z.string(), address: z.string(), expiresAt: z.number() })),
  }),
  'cluster.join': procedure({
    summary: 'Join this host to a cluster with a token from `nova cluster token` (starts its etcd member)',
    input: lazy(() => z.object({ token: z.string().min(20).max(20_000), labels: labels.default({}), allocatable: allocatable.optional() }).strict()),
    output: clusterStatus,
  }),
  'cluster.leave': procedure({
    summary: 'Leave the cluster: release this host\'s lease, remove its etcd member, forget the cluster here',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ name: z.string(), cluster: z.string(), left: z.boolean() })),
  }),
  'cluster.set': procedure({
    summary: 'Cluster-wide settings: the shared storage folder every host mounts at the same path (HA VMs keep their files there); null removes it',
    input: z.object({ sharedStorage: z.string().regex(/^\/\S*$/, 'an absolute path every host mounts, e.g. /srv/nova-shared').nullable() }).strict(),
    output: z.object({ sharedStorage: z.string().optional() }),
  }),
  'cluster.rotateCerts': procedure({
    summary: 'A new key and certificate for this host, signed by the cluster CA (the etcd member keeps running; the agent also renews one with < 30 days left)',
    input: lazy(() => z.object({ days: z.number().int().min(1).max(3650).default(365) }).strict().default({ days: 365 })),
    output: lazy(() => z.object({ name: z.string(), serial: z.string(), notAfter: z.number(), previous: z.object({ serial: z.string(), notAfter: z.number() }) })),
  }),
  'cluster.status': procedure({
    summary: 'The cluster as this host sees it: healthy or degraded and why, etcd members, hosts alive with capacity and bookings',
    input: lazy(() => z.object({}).strict().default({})),
    output: clusterStatus,
  }),
  'cluster.place': procedure({
    summary: 'Place an item on a host by compare-and-swap on its allocation (never overbooks): a named host or "auto" (spread or pack, labels required)',
    input: lazy(() => z
      .object({
        kind: placementKind,
        name: resourceName,
        memory: size,
        cpus: z.number().int().min(0).max(4096).default(1),
        host: z.union([hostName, z.literal('auto')]).default('auto'),
        strategy: z.enum(['spread', 'pack']).default('spread'),
        require: labels.default({}),
        ha: z.boolean().default(false),
        /** For HA capsules: what another host creates when this one's lease ends. */
        spec: containerSpec.optional(),
        /** For HA VMs: the [vm] spec another host defines and starts; its files must be in the cluster's shared storage. */
        vm: vmSpec.optional(),
        /** Only say where it would go (plan), book nothing. */
        dryRun: z.boolean().default(false),
      })
      .strict()),
    output: placement,
  }),
  'cluster.release': procedure({
    summary: 'Remove an item\'s placement and give its booking back to its host',
    input: lazy(() => z.object({ kind: placementKind, name: resourceName }).strict()),
    output: lazy(() => z.object({ kind: placementKind, name: z.string(), released: z.boolean() })),
  }),
  'cluster.items': procedure({
    summary: 'Every placed item: its host, booking, HA and why it is there',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ items: z.array(placement) })),
  }),
  'cluster.plan': procedure({
    summary: 'Where each item of a NovaFile would go in the cluster and why (host = "name" | "auto", [placement]); the hosts\' last reports with their drift',
    input: lazy(() => z.object(novafileSource).strict().default({})),
    output: lazy(() => z.object({ project: z.string(), file: z.string(), rows: z.array(clusterPlanRow), hosts: z.array(clusterHostReport) })),
  }),
  'cluster.up': procedure({
    summary: 'Deploy a NovaFile across the cluster: place each item by CAS, then each host applies its part through its own engine and reports (drift included)',
    input: lazy(() => z.object({ ...novafileSource, timeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000) }).strict().default({ timeoutMs: 600_000 })),
    output: clusterUpOutput,
  }),
  'cluster.down': procedure({
    summary: 'Remove a project from every host of the cluster and release its placements',
    input: lazy(() => z.object({ ...novafileSource, project: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).optional(), timeoutMs: z.number().int().min(1000).max(3_600_000).default(600_000) }).strict().default({ timeoutMs: 600_000 })),
    output: clusterUpOutput,
  }),
};
