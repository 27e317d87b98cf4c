// `nova up --cluster` waits for the hosts' reports on an etcd watch, not by polling: against a
// real etcd (one member, plain HTTP on loopback, no root needed), nothing is read while nothing
// changes, a report or a host's alive key going away answers at once, and the deadline names
// the host that did not answer. Also the client's watch itself (PUT/DELETE in order, from a
// revision, abort).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../test/capsule-fixtures.js';
import { describeHost } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import { keys } from './config.js';
import type { DeployReport, DeployRequest } from './deploy-agent.js';
import { requestAndWait } from './deploy-wait.js';
import { EtcdClient } from './etcd.js';
import type { WatchEvent } from './etcd.js';

/** Counts the reads and writes the client sends (the watch stream is not one of them). */
class CountingClient extends EtcdClient {
  posts = 0;
  override post<T>(path: string, body: unknown, deadlineMs?: number): Promise<T> {
    this.posts++;
    return super.post<T>(path, body, deadlineMs);
  }
}

describeHost('up --cluster waits on an etcd watch', { tools: ['etcd'] }, () => {
  let dir: string;
  let etcd: ChildProcess;
  let url: string;
  let client: CountingClient;
  const k = keys('t');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ncl-etcd-'));
    const [cp, pp] = [await freePort(), await freePort()];
    url = `http://127.0.0.1:${cp}`;
    const peer = `http://127.0.0.1:${pp}`;
    etcd = spawn('etcd', ['--name', 'm', '--data-dir', join(dir, 'data'), '--listen-client-urls', url, '--advertise-client-urls', url, '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `m=${peer}`, '--logger', 'zap', '--log-outputs', join(dir, 'log')], { stdio: 'ignore' });
    client = new CountingClient([url]);
    await waitFor('etcd answers', () => client.get('/x').then(() => true), 20_000, 100);
  });
  afterAll(() => {
    client?.close();
    etcd?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('watch: every PUT and DELETE under a prefix from a revision, in order, until aborted', async () => {
    const rev = await client.put('/w/a', '1');
    await client.put('/w/b', '2');
    await client.put('/other', 'x');
    const seen: WatchEvent[] = [];
    const stop = new AbortController();
    client.watch('/w/', rev, (e) => seen.push(e), stop.signal);
    await client.del('/w/a');
    await waitFor('three events', () => seen.length === 3, 5000, 20);
    expect(seen.map((e) => [e.type, e.kv.key, e.kv.value])).toEqual([['PUT', '/w/a', '1'], ['PUT', '/w/b', '2'], ['DELETE', '/w/a', '']]);
    stop.abort();
    await client.put('/w/c', '3');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(3);
  });

  it('no reads while nothing changes; a report or a host going down answers at once; the deadline names a silent host', async () => {
    for (const h of ['h1', 'h2', 'h3']) await client.put(k.alive(h), '{}');
    const report = async (h: string) => {
      const req = JSON.parse((await client.get(k.deploy('p')))!.value) as DeployRequest;
      const r: DeployReport = { gen: req.gen, ok: true, message: 'applied', changes: [], applied: [], at: 0 };
      await client.put(k.report('p', h), JSON.stringify(r));
      return Date.now();
    };
    const before = client.posts;
    const wait = requestAndWait(client, 't', { project: 'p', hosts: { h1: ['capsule/a'], h3: ['capsule/b'] } }, 'h1', 0, 60_000);
    await waitFor('the request written', () => client.get(k.deploy('p')), 5000, 20);
    const afterFirstLook = client.posts;
    await new Promise((r) => setTimeout(r, 2500));
    // The put and one look (view: 3 ranges, reports, the request) — then nothing for 2.5 s
    // (polling every 100–500 ms would have read ≥ 5 times more).
    expect(client.posts - afterFirstLook).toBeLessThanOrEqual(1); // the test's own get above
    expect(afterFirstLook - before).toBeLessThanOrEqual(8);
    await report('h1');
    await report('h2');
    const gone = Date.now();
    await client.del(k.alive('h3'));
    const rows = await wait;
    expect(Date.now() - gone).toBeLessThan(1000);
    expect(rows.map((r) => [r.host, r.state, r.ok])).toEqual([['h1', 'done', true], ['h2', 'done', true], ['h3', 'down', false]]);

    // A host alive that never answers: named at the deadline, not before.
    await client.put(k.alive('h3'), '{}');
    const t0 = Date.now();
    const late = await requestAndWait(client, 't', { project: 'p', hosts: {} }, 'h1', 0, 1500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(late.map((r) => r.state)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(late[0]!.message).toMatch(/h1 did not report within 1\.5s/);
  });
});
