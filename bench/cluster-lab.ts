// Pieces of the cluster bench (bench/cluster.bench.ts): a three-host lab formed into a cluster,
// CPU readings from /proc, and the raw etcd side of the placement comparison — a small Node
// helper started inside a host's namespace that keeps one TLS connection to that host's etcd
// member and sends each transaction it is given straight to etcd's JSON gateway (no Nova code),
// reached, like the engine, over a local HTTP socket.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { ClusterStatus } from '../src/shared/contract/cluster.js';
import { busyboxRootfs } from '../src/test/capsule-fixtures.js';
import { ClusterLab } from '../src/test/cluster-lab.js';
import { waitFor } from '../src/test/wait.js';

export const HOSTS = ['h1', 'h2', 'h3'] as const;
const TICK = 100; // USER_HZ

/** utime+stime (own) and cutime+cstime (reaped children) of a process, in seconds. */
export function cpuOf(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  return { own: (f[11]! + f[12]!) / TICK, children: (f[13]! + f[14]!) / TICK };
}

export const rssMiB = (pid: number) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Three hosts with `nova serve` each (not yet in a cluster). */
export async function startLab(): Promise<ClusterLab> {
  const lab = new ClusterLab();
  try {
    HOSTS.forEach((h, i) => lab.addHost(h, i + 1));
    await Promise.all(HOSTS.map((h) => lab.startServe(h)));
    return lab;
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

/** init on h1, tokens for h2 and h3, joins; resolves once all three are alive with capacity. */
export async function formCluster(lab: ClusterLab): Promise<void> {
  const allocatable = { memory: '8Gi', cpus: 64 };
  await lab.call('h1', 'cluster.init', { name: 'h1', cluster: 'bench', address: lab.host('h1').address, allocatable });
  for (const h of ['h2', 'h3']) {
    const { token } = await lab.call<{ token: string }>('h1', 'cluster.token', { name: h, address: lab.host(h).address });
    await lab.call(h, 'cluster.join', { token, allocatable });
  }
  await waitFor('three hosts alive', async () => {
    const s = await lab.call<ClusterStatus>('h1', 'cluster.status');
    return s.state === 'healthy' && s.hosts.filter((x) => x.alive && x.capacity).length === 3;
  }, 60_000, 300);
}

/** A busybox image imported on every host as local/nclb:1. */
export async function importImage(lab: ClusterLab): Promise<string> {
  const dir = join(lab.dir, 'img');
  mkdirSync(dir);
  const rootfs = busyboxRootfs(dir);
  execFileSync('chown', ['-R', `${lab.user.uid}:${lab.user.gid}`, dir]);
  for (const h of HOSTS) await lab.call(h, 'image.import', { source: rootfs, name: 'local/nclb:1' }, 120_000);
  return 'local/nclb:1';
}

/** POST over a local HTTP socket; resolves to the body text. */
export function postUnix(socketPath: string, path: string, body: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => ((res.statusCode ?? 500) >= 400 ? reject(new Error(`${path}: HTTP ${res.statusCode}: ${text}`)) : resolve(text)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The raw side: every request body is sent as is to POST <etcd>/v3/kv/txn over one kept-alive
// mTLS connection; the answer goes back unchanged.
const RAW_HELPER = `
const https = require('node:https'), http = require('node:http'), fs = require('node:fs');
const [sock, pki, endpoint] = process.argv.slice(1);
const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync(pki + '/ca.crt'), cert: fs.readFileSync(pki + '/host.crt'), key: fs.readFileSync(pki + '/host.key') });
http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    const r = https.request(endpoint + '/v3/kv/txn', { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (rr) => {
      let t = '';
      rr.on('data', (d) => (t += d));
      rr.on('end', () => { res.statusCode = rr.statusCode; res.end(t); });
    });
    r.on('error', (e) => { res.statusCode = 502; res.end(String(e)); });
    r.end(body);
  });
}).listen(sock, () => console.log('ready'));
`;

/** The raw etcd helper in `host`'s namespace, talking to its own member; resolves with its socket. */
export async function startRawHelper(lab: ClusterLab, host: string): Promise<{ socket: string; child: ChildProcess }> {
  const h = lab.host(host);
  const socket = join(lab.dir, `raw-${host}.sock`);
  const child = spawn('nsenter', [`--net=/run/netns/${h.ns}`, '--', process.execPath, '-e', RAW_HELPER, socket, join(h.home, 'config', 'cluster', 'pki'), 'https://127.0.0.1:2379'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the raw etcd helper', () => out.includes('ready') || (child.exitCode !== null ? Promise.reject(new Error('raw helper exited')) : false), 20_000, 50);
  return { socket, child };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * The same transaction shape as one placement's CAS: two comparisons (the item does not exist,
 * the allocation key's version), two puts (the item's record and the host's new allocation).
 */
export function rawPlacementTxn(i: number, allocVersion: number): string {
  const item = `/nclbench/items/x${i}`;
  const alloc = '/nclbench/alloc/h1';
  return JSON.stringify({
    compare: [
      { key: b64(item), target: 'CREATE', result: 'EQUAL', create_revision: '0' },
      { key: b64(alloc), target: 'VERSION', result: 'EQUAL', version: String(allocVersion) },
    ],
    success: [
      { request_put: { key: b64(item), value: b64(JSON.stringify({ kind: 'capsule', name: `x${i}`, host: 'h1', memoryBytes: 1048576 })) } },
      { request_put: { key: b64(alloc), value: b64(JSON.stringify({ n: allocVersion + 1 })) } },
    ],
  });
}
