// `nova up --cluster` waits for the hosts' reports on an etcd watch, not by polling: against a
// real etcd (one member, plain HTTP on loopback, no root needed), nothing is read while nothing
// changes, a report or a host's alive key going away answers at once, and the deadline names
// the host that did not answer. Also the client's watch itself (PUT/DELETE in order, from a
// revision, abort).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEtcd } from '../../test/etcd.js';
import type { TestEtcd } from '../../test/etcd.js';
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
  let etcd: TestEtcd;
  /** The waiter's client (counted); the test's own reads and writes go through `kv`. */
  let client: CountingClient;
  let kv: EtcdClient;
  const k = keys('t');

  beforeAll(async () => {
    etcd = await startEtcd();
    client = new CountingClient([etcd.url]);
    kv = new EtcdClient([etcd.url]);
  });
  afterAll(() => {
    client?.close();
    kv?.close();
    etcd?.stop();
  });

  it('watch: every PUT and DELETE under a prefix from a revision, in order, until aborted', async () => {
    const rev = await kv.put('/w/a', '1');
    await kv.put('/w/b', '2');
    await kv.put('/other', 'x');
    const seen: WatchEvent[] = [];
    const stop = new AbortController();
    kv.watch('/w/', rev, (e) => seen.push(e), stop.signal);
    await kv.del('/w/a');
    await waitFor('three events', () => seen.length === 3, 5000, 20);
    expect(seen.map((e) => [e.type, e.kv.key, e.kv.value])).toEqual([['PUT', '/w/a', '1'], ['PUT', '/w/b', '2'], ['DELETE', '/w/a', '']]);
    stop.abort();
    await kv.put('/w/c', '3');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toHaveLength(3);
  });

  it('no reads while nothing changes; a report or a host going down answers at once; the deadline names a silent host', async () => {
    for (const h of ['h1', 'h2', 'h3']) await kv.put(k.alive(h), '{}');
    const report = async (h: string) => {
      const req = JSON.parse((await kv.get(k.deploy('p')))!.value) as DeployRequest;
      const r: DeployReport = { gen: req.gen, ok: true, message: 'applied', changes: [], applied: [], at: 0 };
      await kv.put(k.report('p', h), JSON.stringify(r));
    };
    const before = client.posts;
    const wait = requestAndWait(client, 't', { project: 'p', hosts: { h1: ['capsule/a'], h3: ['capsule/b'] } }, 'h1', 0, 60_000);
    // The put and one look (the view: 3 ranges; the reports; the request) …
    await waitFor('the first look', () => client.posts - before >= 6, 5000, 10);
    await new Promise((r) => setTimeout(r, 2500));
    // … then nothing for 2.5 s while nothing changes (polling every 300 ms read 35 times here).
    expect(client.posts - before).toBe(6);
    await report('h1');
    await report('h2');
    const gone = Date.now();
    await kv.del(k.alive('h3'));
    const rows = await wait;
    expect(Date.now() - gone).toBeLessThan(1000);
    expect(rows.map((r) => [r.host, r.state, r.ok])).toEqual([['h1', 'done', true], ['h2', 'done', true], ['h3', 'down', false]]);

    // A host alive that never answers: named at the deadline, not before.
    await kv.put(k.alive('h3'), '{}');
    const t0 = Date.now();
    const late = await requestAndWait(client, 't', { project: 'p', hosts: {} }, 'h1', 0, 1500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(late.map((r) => r.state)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(late[0]!.message).toMatch(/h1 did not report within 1\.5s/);
  });
});
