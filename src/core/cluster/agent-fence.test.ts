// The owner's fence rule (issue #23), with etcd and the engine replaced at their boundary: an HA
// item running here (a real process) is killed FENCE_MS after the host sent its last renewal that
// succeeded, however long the next renewal hangs, and at once when a renewal finds the lease gone —
// before a new lease is taken. The lab test (cluster.host.test.ts) checks the same end to end.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineContext } from '../context.js';
import { ClusterAgent, FENCE_MS, LEASE_TTL_S } from './agent.js';
import { START_DELAY_MS } from './ha-runner.js';
import type { ClusterConfig } from './config.js';
import type { EtcdClient } from './etcd.js';
import { waitFor } from '../../test/wait.js';

const config: ClusterConfig = { version: 1, cluster: 't', name: 'h1', mode: 'external', endpoints: ['http://127.0.0.1:1'], clientPort: 2379, peerPort: 2380, tls: false, labels: {}, joinedAt: 0 };

/** What the fake etcd and engine saw, in order, with performance.now() times. */
type Event = { at: number; what: string };

function setup(keepAlive: (n: number) => Promise<number>) {
  const events: Event[] = [];
  const log = (what: string) => events.push({ at: performance.now(), what });
  const item: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
  const exited = new Promise<number>((r) => item.on('exit', () => r(performance.now())));
  let alive = true;
  item.on('exit', () => (alive = false));
  let renewals = 0;
  const client = {
    grant: async () => (log('grant'), `lease${events.filter((e) => e.what === 'grant').length}`),
    put: async () => 1,
    get: async () => ({ key: 'alive', value: '{}', createRevision: 1, modRevision: 1, version: 1, lease: '1' }),
    keepAlive: async () => {
      const n = ++renewals;
      log(`keepAlive ${n} sent`);
      const ttl = await keepAlive(n);
      log(`keepAlive ${n} answered ${ttl}`);
      return ttl;
    },
    range: async () => ({ kvs: [], revision: 1 }),
    watch: () => undefined,
    revoke: async () => undefined,
  } as unknown as EtcdClient;
  const engine = {
    paths: { config: '/nonexistent/nova-fence-test', data: '/nonexistent/nova-fence-test', runtime: '/nonexistent/nova-fence-test' },
    clock: { now: () => Date.now() },
    call: async (method: string, input: { name?: string }) => {
      if (method === 'host.usage') return { cpus: 2, memoryTotalBytes: 1, memoryAvailableBytes: 1 };
      if (method === 'capsule.list') return { items: alive ? [{ name: 'web', state: 'running', pid: item.pid }] : [] };
      if (method === 'capsule.kill') {
        log(`kill ${input.name}`);
        item.kill('SIGKILL');
        return {};
      }
      throw new Error(`${method}: not in this test`);
    },
  } as unknown as EngineContext;
  const agent = new ClusterAgent(engine, config, client);
  return { agent, events, exited, item };
}

/** Renewals that hang until the test ends (then fail, as a deadline would). */
const hung: ((e: Error) => void)[] = [];
const hang = () => new Promise<number>((_, reject) => hung.push(reject));

describe('cluster agent: the owner fences its HA items', () => {
  let running: ReturnType<typeof setup> | undefined;
  afterEach(async () => {
    for (const r of hung.splice(0)) r(new Error('etcd did not answer'));
    await running?.agent.stop(false);
    running?.item.kill('SIGKILL');
    running = undefined;
  });

  it(`kills them ${FENCE_MS / 1000} s after sending its last renewal that succeeded, while the next one hangs (lease TTL ${LEASE_TTL_S} s)`, async () => {
    // Renewal 1 answers; every later one hangs (etcd slow or cut off).
    running = setup((n) => (n === 1 ? Promise.resolve(LEASE_TTL_S) : hang()));
    const { agent, events, exited } = running;
    agent.start();
    // The first tick has no lease yet: it grants one (its send counts as the renewal); the next tick renews it.
    await waitFor('renewal 1 answered', () => events.find((e) => e.what === 'keepAlive 1 answered 5'), 10_000, 20);
    const lastGood = events.find((e) => e.what === 'keepAlive 1 sent')!.at;
    const killedAt = await exited;
    expect(killedAt - lastGood).toBeGreaterThanOrEqual(FENCE_MS);
    // Well before the lease can expire and a survivor start it (TTL + START_DELAY_MS after that send).
    expect(killedAt - lastGood).toBeLessThan(LEASE_TTL_S * 1000);
    expect(FENCE_MS).toBeLessThan(LEASE_TTL_S * 1000 + START_DELAY_MS - 3000);
    expect(agent.holdsLease).toBe(false);
    expect(agent.log.some((l) => /fenced capsule\/web: lease not renewed for 3 s/.test(l))).toBe(true);
  }, 30_000);

  it('kills them at once when a renewal finds the lease gone (TTL 0), before it takes a new lease', async () => {
    // Renewal 1 answers late with TTL 0: the lease expired while it was on its way.
    running = setup((n) => (n === 1 ? new Promise<number>((r) => setTimeout(() => r(0), 800)) : Promise.resolve(LEASE_TTL_S)));
    const { agent, events, exited } = running;
    agent.start();
    await exited;
    await waitFor('a new lease', () => events.filter((e) => e.what === 'grant').length >= 2, 10_000, 20);
    const order = events.map((e) => e.what).filter((w) => /^(grant|kill|keepAlive 1 answered)/.test(w));
    expect(order).toEqual(['grant', 'keepAlive 1 answered 0', 'kill web', 'grant']);
    expect(agent.log.some((l) => /fenced capsule\/web: lease \S+ gone/.test(l))).toBe(true);
  }, 30_000);
});
