// @vitest-environment happy-dom
// The hosts view's cluster card on a real engine (its cluster module) joined to a real etcd
// (one member, plain HTTP on loopback: `cluster.init --etcd`). The other hosts are what their
// agents would write: alive keys, info, capacity, allocations.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clusterModule } from '../../../core/cluster/module.js';
import { keys } from '../../../core/cluster/config.js';
import { EtcdClient } from '../../../core/cluster/etcd.js';
import type { Capacity } from '../../../core/cluster/placement.js';
import { startEtcd } from '../../../test/etcd.js';
import type { TestEtcd } from '../../../test/etcd.js';
import { describeHost } from '../../../test/host.js';
import { engineBridge } from '../test/engineBridge';
import type { TestEngine } from '../test/engineBridge';
import { render, waitFor } from '../test/render';
import { ClusterHosts } from './ClusterHosts';

const GiB = 1024 ** 3;
const capacity = (memGiB: number, cpus: number): Capacity => ({ cpus, memoryTotalBytes: memGiB * GiB, memoryAvailableBytes: (memGiB / 2) * GiB, allocatableMemoryBytes: memGiB * GiB, allocatableCpus: cpus, diskFreeBytes: 0, gpus: 0, networks: [], accelerator: 'kvm', at: 0 });

describeHost('ClusterHosts on a real engine and etcd', { tools: ['etcd'] }, () => {
  let etcd: TestEtcd;
  let t: TestEngine;
  let kv: EtcdClient;
  const k = keys('ui');
  const row = (c: HTMLElement, h: string) => c.querySelector<HTMLElement>(`[data-testid="cluster-host-${h}"]`);
  const cells = (c: HTMLElement, h: string) => [...row(c, h)!.querySelectorAll('td')].map((td) => td.textContent);

  beforeAll(async () => {
    etcd = await startEtcd();
    kv = new EtcdClient([etcd.url]);
    t = await engineBridge([clusterModule]);
  });
  afterAll(async () => {
    kv?.close();
    await t?.home.cleanup();
    etcd?.stop();
  });

  it('shows nothing on a host in no cluster', async () => {
    const { container, unmount } = await render(<ClusterHosts pollMs={100} />);
    await new Promise((r) => setTimeout(r, 300));
    expect(container.querySelector('[data-testid="cluster-hosts"]')).toBeNull();
    expect(container.textContent).toBe('');
    await unmount();
  });

  it('every host alive or down with bookings against capacity and labels; a host whose lease ends turns down live; etcd gone → degraded with the reason', async () => {
    await t.engine.dispatcher.invoke('cluster.init', { name: 'h1', cluster: 'ui', etcd: [etcd.url] });
    for (const [h, labels, cap] of [['h1', {}, capacity(8, 4)], ['h2', { gpu: 'rtx-4090' }, capacity(16, 8)], ['h3', {}, undefined]] as const) {
      await kv.put(k.info(h), JSON.stringify({ address: `10.116.9.${h.slice(1)}`, labels, member: false }));
      if (cap) {
        await kv.put(k.alive(h), '{}');
        await kv.put(k.capacity(h), JSON.stringify(cap));
      }
    }
    await kv.put(k.alloc('h2'), JSON.stringify({ items: { 'capsule/api': { memoryBytes: GiB / 2, cpus: 1 }, 'vm/db': { memoryBytes: 2 * GiB, cpus: 2 } } }));

    const { container, unmount } = await render(<ClusterHosts pollMs={100} />);
    const card = () => container.querySelector<HTMLElement>('[data-testid="cluster-hosts"]');
    await waitFor(() => expect(row(container, 'h3')).not.toBeNull());
    expect(card()!.dataset.state).toBe('healthy');
    expect(card()!.querySelector('h2')!.textContent).toBe('Cluster ui');
    expect(card()!.textContent).toContain('this host: h1');
    expect(cells(container, 'h1')).toEqual(['h1', 'up', '10.116.9.1', '0/4', '0 B/8.0 GiB', '4.0 GiB', '0', '—']);
    expect(cells(container, 'h2')).toEqual(['h2', 'up', '10.116.9.2', '3/8', '2.5 GiB/16 GiB', '8.0 GiB', '2', 'gpu=rtx-4090']);
    expect(cells(container, 'h3')).toEqual(['h3', 'down', '10.116.9.3', '—', '—', '—', '0', '—']);
    expect(row(container, 'h3')!.dataset.alive).toBe('false');

    // h2's lease ends (its alive key goes): the next poll shows it down.
    await kv.del(k.alive('h2'));
    await waitFor(() => expect(row(container, 'h2')!.dataset.alive).toBe('false'));
    expect(row(container, 'h2')!.querySelector('[data-state]')!.textContent).toBe('down');

    // etcd stops answering: degraded, and why, within the client's deadline.
    etcd.stop();
    await waitFor(() => expect(card()!.dataset.state).toBe('degraded'), 10_000);
    expect(card()!.textContent).toMatch(/etcd did not answer within \d+ ms/);
    await unmount();
  }, 30_000);
});
