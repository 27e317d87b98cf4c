// The external-snapshot chain as vm.snapshot.list reports it, on real qcow2 images (qemu-img): a
// stopped VM with an internal snapshot in its base disk, an external snapshot (a new overlay), an
// internal snapshot in that overlay, and a second external snapshot that QEMU would write to now.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmDiskChain } from '../../shared/contract/vm.js';
import type { Engine } from '../engine.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { overlayTag } from './snapshot-chain.js';

describeHost('VM external-snapshot chain', { tools: ['qemu-img'] }, () => {
  let home: TempHome;
  let e: Engine;
  const call = <T>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;

  beforeAll(async () => {
    home = await tempHome('nova-chain-');
    e = home.engine();
  });
  afterAll(async () => {
    await call('vm.delete', { name: 'ch', disks: true }).catch(() => undefined);
    await home.cleanup();
  });

  it('lists each disk base first: internal snapshots per layer, the overlay each external snapshot made, the current layer', async () => {
    const base = join(home.dir, 'base.qcow2');
    // Never started: a disk-only VM is enough for snapshots taken stopped (qemu-img).
    await call('vm.create', { name: 'ch', spec: { memory: '64Mi', cpu: 1, network: 'none', disks: [{ path: base, size: '16Mi' }] } });
    await call('vm.snapshot.create', { name: 'ch', tag: 'before' });
    await call('vm.snapshot.create', { name: 'ch', tag: 'ext1', external: true });
    await call('vm.snapshot.create', { name: 'ch', tag: 'after' });
    await call('vm.snapshot.create', { name: 'ch', tag: 'ext2', external: true });

    const r = await call<{ snapshots: { tag: string }[]; chain: VmDiskChain[] }>('vm.snapshot.list', { name: 'ch' });
    expect(r.chain).toHaveLength(1);
    const [c] = r.chain;
    expect(c!.node).toBe('disk0');
    expect(c!.layers.map((l) => [l.externalTag, l.current, l.snapshots.map((s) => s.tag)])).toEqual([
      [undefined, false, ['before']],
      ['ext1', false, ['after']],
      ['ext2', true, []],
    ]);
    expect(c!.layers[0]!.file).toBe(base);
    for (const l of c!.layers) {
      expect(l.format).toBe('qcow2');
      expect(l.virtualSize).toBe(16 * 1024 * 1024);
      expect(l.sizeBytes).toBeGreaterThan(0);
    }
    expect(c!.layers[0]!.snapshots[0]!.vmStateSize).toBe(0); // taken stopped: disk only
    expect(c!.layers[0]!.snapshots[0]!.date).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('names an overlay by its tag only when it is <node>-<tag>.qcow2', () => {
    expect(overlayTag('disk0', '/v/disk0-pre-upgrade.qcow2')).toBe('pre-upgrade');
    expect(overlayTag('disk0', '/v/disk1-x.qcow2')).toBeUndefined();
    expect(overlayTag('disk0', '/v/disk0-.qcow2')).toBeUndefined();
  });
});
