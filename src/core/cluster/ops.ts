// init / token / join / leave: the steps that change this host's cluster membership, each under
// a Reverter (a failed join leaves no half member: the etcd member added is removed again, the
// files written are deleted), and the join token's one-time use enforced by an etcd transaction.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { NovaError } from '../../shared/errors.js';
import type { EngineContext } from '../context.js';
import { withReverter } from '../sys/reverter.js';
import type { ClusterConfig } from './config.js';
import { clusterDirs, keys, readConfig, removeConfig, writeConfig } from './config.js';
import { EtcdClient } from './etcd.js';
import { clientUrl, peerUrl, startMember, stopMember, waitMemberReady } from './member.js';
import { createCa, issueHostCert, pkiFiles, readHostPki, storeHostPki } from './pki.js';
import { readView } from './placement.js';

export interface Allocatable {
  memory?: number;
  cpus?: number;
}

const localAddresses = () => Object.values(networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4').map((a) => a.address));

function checkAddress(address: string | undefined): string {
  const mine = localAddresses();
  const chosen = address ?? mine.find((a) => !a.startsWith('127.'));
  if (!chosen) throw new NovaError('INVALID_INPUT', 'address: this host has no IPv4 address besides loopback: give --address of the interface the other hosts reach', { field: 'address' });
  if (!mine.includes(chosen)) throw new NovaError('INVALID_INPUT', `address: ${chosen} is not an address of this host (it has ${mine.join(', ')}): give one of those`, { field: 'address' });
  return chosen;
}

async function refuseJoined(engine: EngineContext): Promise<void> {
  const c = await readConfig(engine.paths);
  if (c) throw new NovaError('CONFLICT', `this host is already "${c.name}" in cluster "${c.cluster}": \`nova cluster leave\` first`, { field: 'cluster' });
}

const allocatableOf = (a?: Allocatable) => (a && (a.memory || a.cpus) ? { allocatable: { ...(a.memory ? { memoryBytes: a.memory } : {}), ...(a.cpus ? { cpus: a.cpus } : {}) } } : {});

export interface InitInput {
  name: string;
  cluster: string;
  address?: string;
  clientPort: number;
  peerPort: number;
  etcd?: string[];
  etcdTls?: { ca: string; cert: string; key: string };
  labels: Record<string, string>;
  allocatable?: Allocatable;
}

/** A new cluster with this host's member (managed), or this host on an existing etcd (external). */
export async function initCluster(engine: EngineContext, i: InitInput): Promise<ClusterConfig> {
  await refuseJoined(engine);
  const p = engine.paths;
  const d = clusterDirs(p);
  return withReverter(async (r) => {
    if (i.etcd?.length) {
      const config: ClusterConfig = { version: 1, cluster: i.cluster, name: i.name, mode: 'external', endpoints: i.etcd, clientPort: i.clientPort, peerPort: i.peerPort, tls: Boolean(i.etcdTls), labels: i.labels, ...allocatableOf(i.allocatable), joinedAt: engine.clock.now() };
      if (i.etcdTls) {
        r.add(() => removeConfig(p), 'remove the cluster files');
        await storeHostPki(d.pki, i.etcdTls.ca, { cert: i.etcdTls.cert, key: i.etcdTls.key });
      }
      const client = new EtcdClient(i.etcd, i.etcdTls);
      try {
        const live = await client.get(keys(i.cluster).alive(i.name));
        if (live) throw new NovaError('CONFLICT', `a live host named "${i.name}" is in cluster "${i.cluster}" already: choose another --name`, { field: 'name' });
      } finally {
        client.close();
      }
      r.add(() => removeConfig(p), 'remove the cluster files');
      await writeConfig(p, config);
      return config;
    }
    const address = checkAddress(i.address);
    const config: ClusterConfig = { version: 1, cluster: i.cluster, name: i.name, mode: 'managed', endpoints: [`https://127.0.0.1:${i.clientPort}`], address, clientPort: i.clientPort, peerPort: i.peerPort, tls: true, labels: i.labels, ...allocatableOf(i.allocatable), joinedAt: engine.clock.now() };
    r.add(() => removeConfig(p), 'remove the cluster files');
    await createCa(engine.runner, d.pki, i.cluster);
    await storeHostPki(d.pki, await readFile(pkiFiles(d.pki).ca, 'utf8'), await issueHostCert(engine.runner, d.pki, i.name, address));
    await writeConfig(p, config);
    r.add(() => stopMember(p), 'stop the etcd member');
    await startMember(p, config, `${i.name}=${peerUrl(config)}`, 'new');
    const client = new EtcdClient(config.endpoints, await readHostPki(d.pki));
    try {
      await waitMemberReady(p, config, client);
      config.memberId = (await client.status(config.endpoints[0]!)).memberId;
    } finally {
      client.close();
    }
    await writeConfig(p, config);
    return config;
  });
}

interface TokenBody {
  v: 1;
  c: string;
  e: string[];
  id: string;
  ca: string;
  cert: string;
  key: string;
  n: string;
  a: string;
  cp: number;
  pp: number;
  /** The cluster CA key: every member holds it, so any member issues tokens and renews its own certificate. */
  ck?: string;
}

const TOKEN_PREFIX = 'nova-join-';

/** A one-time join token for `name` at `address`, from any member: its certificate (signed here), the cluster CA key and the cluster's endpoints. */
export async function issueToken(engine: EngineContext, config: ClusterConfig, client: EtcdClient, name: string, address: string, ttlSeconds: number): Promise<{ token: string; expiresAt: number }> {
  const d = clusterDirs(engine.paths);
  if (config.mode !== 'managed') throw new NovaError('INVALID_INPUT', 'this cluster uses an etcd Nova does not run: other hosts join it with `nova cluster init --etcd URL…`, no token needed', { field: 'cluster' });
  if (!existsSync(pkiFiles(d.pki).caKey)) throw new NovaError('PERMISSION', 'this host has no copy of the cluster CA key (it joined with a token from an older Nova): run `nova cluster token` on a member that has it (the one that ran init has)', { field: 'name' });
  const k = keys(config.cluster);
  const view = await readView(client, config.cluster);
  if (view.hosts.has(name)) throw new NovaError('CONFLICT', `a host named "${name}" is in the cluster already: choose another name`, { field: 'name' });
  const members = await client.members();
  const cert = await issueHostCert(engine.runner, d.pki, name, address);
  const id = randomBytes(16).toString('hex');
  const lease = await client.grant(ttlSeconds);
  await client.put(k.token(id), JSON.stringify({ name, address, at: engine.clock.now() }), lease);
  const body: TokenBody = { v: 1, c: config.cluster, e: members.flatMap((m) => m.clientURLs), id, ca: (await readHostPki(d.pki)).ca, cert: cert.cert, key: cert.key, n: name, a: address, cp: config.clientPort, pp: config.peerPort, ck: await readFile(pkiFiles(d.pki).caKey, 'utf8') };
  return { token: TOKEN_PREFIX + deflateRawSync(JSON.stringify(body)).toString('base64url'), expiresAt: engine.clock.now() + ttlSeconds * 1000 };
}

function decodeToken(token: string): TokenBody {
  try {
    if (!token.startsWith(TOKEN_PREFIX)) throw new Error('prefix');
    const b = JSON.parse(inflateRawSync(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url')).toString('utf8')) as TokenBody;
    if (b.v !== 1 || !b.e?.length || !b.cert || !b.key) throw new Error('fields');
    return b;
  } catch {
    throw new NovaError('INVALID_INPUT', 'token: not a Nova join token (it starts with "nova-join-"): copy the whole line `nova cluster token` printed', { field: 'token' });
  }
}

/** Joins with a token: consumes it (once), adds this host's member, starts it, waits until it is in. */
export async function joinCluster(engine: EngineContext, token: string, labels: Record<string, string>, allocatable?: Allocatable): Promise<ClusterConfig> {
  await refuseJoined(engine);
  const t = decodeToken(token);
  const address = checkAddress(t.a);
  const p = engine.paths;
  const d = clusterDirs(p);
  const config: ClusterConfig = { version: 1, cluster: t.c, name: t.n, mode: 'managed', endpoints: [`https://127.0.0.1:${t.cp}`, ...t.e], address, clientPort: t.cp, peerPort: t.pp, tls: true, labels, ...allocatableOf(allocatable), joinedAt: engine.clock.now() };
  return withReverter(async (r) => {
    r.add(() => removeConfig(p), 'remove the cluster files');
    await storeHostPki(d.pki, t.ca, { cert: t.cert, key: t.key }, t.ck);
    const client = new EtcdClient(t.e, { ca: t.ca, cert: t.cert, key: t.key }, 5000);
    try {
      const k = keys(t.c);
      const used = await client.txn([{ key: k.token(t.id), target: 'VERSION', result: 'GREATER', value: 0 }], [{ del: { key: k.token(t.id) } }]);
      if (!used.succeeded) throw new NovaError('PERMISSION', 'token: already used or expired: ask for a new one with `nova cluster token NAME ADDRESS` on the host that ran init', { field: 'token' });
      const added = await client.memberAdd([peerUrl(config)]);
      r.add(() => client.memberRemove(added.id), 'remove the etcd member added');
      const initial = added.members.map((m) => `${m.id === added.id ? t.n : m.name}=${m.peerURLs[0]}`).join(',');
      await writeConfig(p, { ...config, memberId: added.id });
      r.add(() => stopMember(p), 'stop the etcd member');
      await startMember(p, { ...config, memberId: added.id }, initial, 'existing');
      await waitMemberReady(p, config, client, 30_000);
      config.memberId = added.id;
      config.endpoints = [...new Set([`https://127.0.0.1:${t.cp}`, clientUrl(config), ...t.e])];
      await writeConfig(p, config);
      return config;
    } finally {
      client.close();
    }
  });
}

/** Leaves: refuses while items are placed here; removes this host's keys and etcd member, then its files. */
export async function leaveCluster(engine: EngineContext, config: ClusterConfig, client: EtcdClient): Promise<void> {
  const k = keys(config.cluster);
  const view = await readView(client, config.cluster);
  const mine = [...view.items.values()].filter((i) => i.record.host === config.name).map((i) => `${i.record.kind}/${i.record.name}`);
  if (mine.length) throw new NovaError('CONFLICT', `items are placed on this host: ${mine.join(', ')}; release them first (\`nova cluster release KIND NAME\`)`, { field: 'cluster', items: mine });
  await client.del(`${k.hosts}${config.name}/`, true);
  await client.del(k.alloc(config.name));
  if (config.mode === 'managed' && config.memberId) {
    const members = await client.members();
    if (members.length > 1) await client.memberRemove(config.memberId);
  }
  if (config.mode === 'managed') await stopMember(engine.paths);
  await removeConfig(engine.paths);
}
