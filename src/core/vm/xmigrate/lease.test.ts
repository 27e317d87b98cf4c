// The target's watch over incoming migrations, without QEMU: an attempt whose source stopped
// renewing is removed, a renewed one is kept, one committed or replaced meanwhile is left alone.
// The real abandoned move (source killed -9 mid-mirror) is in src/test/xmigrate.host.test.ts.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../sys/paths.js';
import type { VmContext } from '../context.js';
import { IncomingWatch, leaseMs } from './lease.js';

describe('IncomingWatch', () => {
  const home = mkdtempSync(join(tmpdir(), 'nhst-lease-'));
  const events: unknown[] = [];
  const ctx = { paths: resolvePaths({ NOVA_HOME: home }), bus: { emit: (topic: string, e: unknown) => events.push({ topic, ...(e as object) }) } } as unknown as VmContext;
  const vm = (name: string) => join(home, 'data', 'vms', name);
  const incoming = (name: string, id: string) => {
    mkdirSync(vm(name), { recursive: true });
    writeFileSync(join(vm(name), 'incoming.json'), JSON.stringify({ id, from: 'a', at: 0 }));
  };
  afterEach(() => rmSync(join(home, 'data'), { recursive: true, force: true }));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('removes an attempt once its lease runs out, keeps a renewed one, leaves a replaced one alone', async () => {
    let now = 0;
    const settled: string[] = [];
    const w = new IncomingWatch(() => ctx, 6000, (n, how) => settled.push(`${n}:${how}`), () => now);
    incoming('old', 'attempt-1');
    incoming('live', 'attempt-2');
    incoming('other', 'attempt-9');
    w.touch('old', 'attempt-1');
    w.touch('live', 'attempt-2');
    w.touch('other', 'attempt-3');
    now = 5000;
    expect(await w.check()).toEqual([]);
    w.touch('live', 'attempt-2');
    now = 7000;
    expect(await w.check()).toEqual([{ name: 'old', how: 'removed' }, { name: 'other', how: 'gone' }]);
    expect(existsSync(vm('old'))).toBe(false);
    expect(existsSync(join(vm('other'), 'incoming.json'))).toBe(true); // another attempt's: untouched
    expect(existsSync(vm('live'))).toBe(true);
    now = 12_000;
    expect(await w.check()).toEqual([{ name: 'live', how: 'removed' }]);
    expect(settled).toEqual(['old:removed', 'other:gone', 'live:removed']);
    w.stop();
  });

  it('adopts attempts left by an earlier run of the engine with a full lease', async () => {
    let now = 100_000;
    const w = new IncomingWatch(() => ctx, 6000, undefined, () => now);
    incoming('left', 'attempt-4');
    await w.adoptLeftovers();
    expect(await w.check()).toEqual([]);
    now += 6000;
    expect(await w.check()).toEqual([{ name: 'left', how: 'removed' }]);
    w.stop();
  });

  it('keeps a guest that ran here and whose QEMU died since as a stopped VM, once, instead of retrying the commit forever', async () => {
    let now = 0;
    const w = new IncomingWatch(() => ctx, 6000, undefined, () => now);
    mkdirSync(vm('ran'), { recursive: true });
    writeFileSync(join(vm('ran'), 'incoming.json'), JSON.stringify({ id: 'attempt-5', from: 'a', at: 0, resumedAt: 1 }));
    w.touch('ran', 'attempt-5');
    now = 7000;
    expect(await w.check()).toEqual([{ name: 'ran', how: 'stopped' }]);
    expect(existsSync(join(vm('ran'), 'incoming.json'))).toBe(false);
    expect(existsSync(vm('ran'))).toBe(true); // the VM stays here
    expect(events).toContainEqual({ topic: 'vm.state', name: 'ran', state: 'stopped', reason: 'migrated here from a; its QEMU exited before the move was committed' });
    now = 20_000;
    expect(await w.check()).toEqual([]);
    w.stop();
  });

  it('reads the lease from NOVA_XMIGRATE_LEASE_MS, never shorter than three renewals', () => {
    expect(leaseMs({})).toBe(30_000);
    expect(leaseMs({ NOVA_XMIGRATE_LEASE_MS: '1000' })).toBe(6000);
    expect(leaseMs({ NOVA_XMIGRATE_LEASE_MS: '9000' })).toBe(9000);
  });
});
