// The serving engine's VM watcher is event-driven (#24): what another process (the CLI, another
// engine) changes is published from inotify alone — the safety pass here is an hour away — and
// an idle watcher runs no pass at all. No QEMU: records and markers are what processes write.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../rpc/bus.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import type { Engine } from '../engine.js';
import type { VmContext } from './context.js';
import { runtimeDir } from './store.js';
import { VmWatcher } from './watcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('VM watcher: events, not polling', () => {
  let home: TempHome;
  let cli: Engine;
  let watcher: VmWatcher;
  const bus = new EventBus();
  const seen: string[] = [];
  const spec = () => ({ kernel: `${home.dir}/vmlinuz`, memory: '64Mi', cpu: 1, network: 'none' });

  beforeAll(async () => {
    home = await tempHome('nova-vmwatch-');
    writeFileSync(`${home.dir}/vmlinuz`, ''); // never booted
    cli = home.engine(); // another process's engine: never started, it only writes files
    bus.on('vm.state', (e) => seen.push(`${e.name}:${e.state}`));
    bus.on('resource.changed', (e) => e.kind === 'vm' && e.state === 'removed' && seen.push(`${e.name}:removed`));
    watcher = new VmWatcher({ paths: cli.paths, bus } as unknown as VmContext, 3_600_000);
    watcher.start();
    await waitFor('the first pass', () => watcher.passes > 0, 5000, 10);
  });

  afterAll(async () => {
    watcher.stop();
    await home.cleanup();
  });

  it('publishes a VM created, started and removed by another process, from inotify alone', async () => {
    await cli.dispatcher.invoke('vm.create', { name: 'w1', spec: spec() });
    await waitFor('created elsewhere → stopped', () => seen.includes('w1:stopped'), 5000, 10);
    // A start under way elsewhere: the runtime folder appears (watched by its parent), then the
    // starter's marker with its (live) pid.
    mkdirSync(runtimeDir(cli.paths, 'w1'), { recursive: true });
    writeFileSync(`${runtimeDir(cli.paths, 'w1')}/starting.marker`, String(process.pid));
    await waitFor('starting', () => seen.at(-1) === 'w1:starting', 5000, 10);
    rmSync(`${runtimeDir(cli.paths, 'w1')}/starting.marker`);
    await waitFor('stopped again', () => seen.at(-1) === 'w1:stopped', 5000, 10);
    await cli.dispatcher.invoke('vm.delete', { name: 'w1' });
    await waitFor('removed', () => seen.at(-1) === 'w1:removed', 5000, 10);
  });

  it('runs no pass while nothing changes', async () => {
    await cli.dispatcher.invoke('vm.create', { name: 'w2', spec: spec() });
    await waitFor('w2 seen', () => seen.includes('w2:stopped'), 5000, 10);
    await sleep(200); // the passes its own creation caused are over
    const before = watcher.passes;
    await sleep(1500); // three passes of the old 500 ms poll
    expect(watcher.passes).toBe(before);
  });
});
