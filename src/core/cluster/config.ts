// This host's cluster settings: <config>/cluster/cluster.json (atomic writes), its certificates
// in <config>/cluster/pki, the etcd member's data in <data>/cluster/etcd.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import type { NovaPaths } from '../sys/paths.js';
import type { EtcdTls } from './etcd.js';
import { readHostPki } from './pki.js';

export interface ClusterConfig {
  version: 1;
  /** The cluster's name (keys live under /nova/<cluster>/). */
  cluster: string;
  /** This host's name in the cluster. */
  name: string;
  /** managed: Nova runs this host's etcd member; external: an etcd someone else runs. */
  mode: 'managed' | 'external';
  /** Client URLs Nova talks to (own member first). */
  endpoints: string[];
  /** managed: the address the member listens on (peers and clients). */
  address?: string;
  clientPort: number;
  peerPort: number;
  /** The etcd member id (managed). */
  memberId?: string;
  /** The TLS material lives in pki/ (external etcd over plain http has none). */
  tls: boolean;
  labels: Record<string, string>;
  /** What placement may book on this host (default: all CPUs and the memory total). */
  allocatable?: { memoryBytes?: number; cpus?: number };
  joinedAt: number;
}

export const clusterDirs = (p: NovaPaths) => ({
  config: join(p.config, 'cluster'),
  file: join(p.config, 'cluster', 'cluster.json'),
  pki: join(p.config, 'cluster', 'pki'),
  data: join(p.data, 'cluster', 'etcd'),
  log: join(p.data, 'cluster', 'etcd.log'),
  run: join(p.runtime, 'cluster'),
  pid: join(p.runtime, 'cluster', 'etcd.pid'),
});

export async function readConfig(p: NovaPaths): Promise<ClusterConfig | undefined> {
  return readJson<ClusterConfig | undefined>(clusterDirs(p).file, undefined);
}

export async function requireConfig(p: NovaPaths): Promise<ClusterConfig> {
  const c = await readConfig(p);
  if (!c) throw new NovaError('NOT_FOUND', 'this host is in no cluster: start one with `nova cluster init` or join one with `nova cluster join TOKEN`', { field: 'cluster' });
  return c;
}

export async function writeConfig(p: NovaPaths, c: ClusterConfig): Promise<void> {
  await writeJsonAtomic(clusterDirs(p).file, c, { mode: 0o600 });
}

export async function removeConfig(p: NovaPaths): Promise<void> {
  const d = clusterDirs(p);
  await rm(d.file, { force: true });
  await rm(d.pki, { recursive: true, force: true });
  await rm(d.data, { recursive: true, force: true });
}

export async function tlsOf(p: NovaPaths, c: ClusterConfig): Promise<EtcdTls | undefined> {
  return c.tls ? readHostPki(clusterDirs(p).pki) : undefined;
}

/** The etcd key prefix of a cluster. */
export const keys = (cluster: string) => {
  const root = `/nova/${cluster}/`;
  return {
    root,
    hosts: `${root}hosts/`,
    alive: (h: string) => `${root}hosts/${h}/alive`,
    capacity: (h: string) => `${root}hosts/${h}/capacity`,
    info: (h: string) => `${root}hosts/${h}/info`,
    tokens: `${root}tokens/`,
    token: (id: string) => `${root}tokens/${id}`,
    /** Cluster-wide settings (shared storage for HA VMs). */
    settings: `${root}settings`,
    alloc: (h: string) => `${root}alloc/${h}`,
    allocs: `${root}alloc/`,
    items: `${root}items/`,
    item: (kind: string, name: string) => `${root}items/${kind}/${name}`,
    /** `nova up|down --cluster` requests, one per project, and each host's report on them. */
    deploys: `${root}deploy/`,
    deploy: (project: string) => `${root}deploy/${project}`,
    reports: (project: string) => `${root}reports/${project}/`,
    report: (project: string, h: string) => `${root}reports/${project}/${h}`,
  };
};
