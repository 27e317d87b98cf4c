// Batch placement (`nova up --cluster`) against a real etcd (one member, plain HTTP on loopback,
// no root needed): many items in one read and one CAS transaction per batch, never overbooked,
// all or nothing, and a concurrent booking on the same host makes the batch choose again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEtcd } from '../../test/etcd.js';
import type { TestEtcd } from '../../test/etcd.js';
import { describeHost } from '../../test/host.js';
import { keys } from './config.js';
import { EtcdClient } from './etcd.js';
import { place, placeMany, readView } from './placement.js';
import type { Capacity, Request } from './placement.js';

const MiB = 1024 * 1024;

/** Counts the requests the client sends. */
class CountingClient extends EtcdClient {
  posts = 0;
  override post<T>(path: string, body: unknown, deadlineMs?: number): Promise<T> {
    this.posts++;
    return super.post<T>(path, body, deadlineMs);
  }
}

const capacity = (memMiB: number): Capacity => ({
  cpus: 8, memoryTotalBytes: memMiB * MiB, memoryAvailableBytes: memMiB * MiB, allocatableMemoryBytes: memMiB * MiB, allocatableCpus: 64,
  diskFreeBytes: 1e12, gpus: 0, networks: [], accelerator: 'tcg', at: 0,
});

const req = (name: string, memMiB = 256): Request => ({ kind: 'capsule', name, memoryBytes: memMiB * MiB, cpus: 1, host: 'auto', strategy: 'spread', require: {}, ha: false, project: 'p' });

describeHost('batch placement on etcd', { tools: ['etcd'] }, () => {
  let etcd: TestEtcd;
  let client: CountingClient;
  let n = 0;
  /** A fresh cluster with three alive hosts of `memMiB` each. */
  const cluster = async (memMiB: number) => {
    const name = `c${n++}`;
    const k = keys(name);
    for (const h of ['h1', 'h2', 'h3']) {
      await client.put(k.alive(h), '1');
      await client.put(k.capacity(h), JSON.stringify(capacity(memMiB)));
    }
    client.posts = 0;
    return name;
  };
  const booked = async (name: string) => {
    const view = await readView(client, name);
    return Object.fromEntries([...view.hosts.values()].map((h) => [h.name, Object.values(h.alloc.items).reduce((s, i) => s + i.memoryBytes / MiB, 0)]));
  };

  beforeAll(async () => {
    etcd = await startEtcd();
    client = new CountingClient([etcd.url]);
  });
  afterAll(() => {
    client?.close();
    etcd?.stop();
  });

  it('30 items: one read and one transaction, spread over the hosts, each booked once; placed again, nothing changes', async () => {
    const name = await cluster(4096);
    const placed = await placeMany(client, name, Array.from({ length: 30 }, (_, i) => req(`c${i}`)), () => 1);
    expect(placed).toHaveLength(30);
    expect(client.posts).toBe(4); // 3 ranges (hosts, allocations, items) + 1 txn
    expect(await booked(name)).toEqual({ h1: 2560, h2: 2560, h3: 2560 });
    const view = await readView(client, name);
    expect(view.items.size).toBe(30);
    const again = await placeMany(client, name, Array.from({ length: 30 }, (_, i) => req(`c${i}`)), () => 2);
    expect(again.map((p) => p.placedAt)).toEqual(Array(30).fill(1));
    expect(await booked(name)).toEqual({ h1: 2560, h2: 2560, h3: 2560 });
  });

  it('more items than fit: nothing of the batch is written, the error names the item and why', async () => {
    const name = await cluster(1024);
    const many = Array.from({ length: 13 }, (_, i) => req(`x${i}`)); // 12 fit on 3 × 1 GiB
    await expect(placeMany(client, name, many, () => 1)).rejects.toThrow(/no host can take capsule\/x12/);
    expect((await readView(client, name)).items.size).toBe(0);
    expect(await booked(name)).toEqual({ h1: 0, h2: 0, h3: 0 });
  });

  it('a booking made by someone else meanwhile: the batch chooses again and never overbooks; larger than one transaction holds', async () => {
    const name = await cluster(3072);
    // Another client books 2 GiB on h1 between the batch's read and its transaction.
    const other = new EtcdClient([etcd.url]);
    let raced = false;
    const racing = new (class extends EtcdClient {
      override async txn(...a: Parameters<EtcdClient['txn']>) {
        if (!raced) {
          raced = true;
          await place(other, name, { ...req('big', 2048), host: 'h1' }, () => 1);
        }
        return super.txn(...a);
      }
    })([etcd.url]);
    try {
      const placed = await placeMany(racing, name, Array.from({ length: 28 }, (_, i) => req(`r${i}`)), () => 1);
      expect(placed).toHaveLength(28);
      const b = await booked(name);
      expect(b.h1).toBeLessThanOrEqual(3072);
      expect(b.h1! + b.h2! + b.h3!).toBe(2048 + 28 * 256);
      expect((await readView(client, name)).items.size).toBe(29);
    } finally {
      racing.close();
      other.close();
    }
    // 45 items go in two transactions (etcd's limit is 128 operations each).
    const wide = await cluster(8192);
    await placeMany(client, wide, Array.from({ length: 45 }, (_, i) => req(`w${i}`)), () => 1);
    expect(client.posts).toBe(8);
    expect((await readView(client, wide)).items.size).toBe(45);
  });
});
