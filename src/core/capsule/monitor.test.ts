// The serving engine's capsule monitor is event-driven (#24): a capsule another process creates
// or removes is published from inotify alone — the safety pass here is an hour away — and an
// idle monitor runs no pass. Running capsules (kill -9, pause elsewhere) are in capsule.test.ts.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxRootfs } from '../../test/capsule-fixtures.js';
import { tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { waitFor } from '../../test/wait.js';
import type { Engine } from '../engine.js';
import { monitorCapsules } from './monitor.js';
import type { CapsuleMonitor } from './monitor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('capsule monitor: events, not polling', () => {
  let home: TempHome;
  let cli: Engine;
  let watching: Engine;
  let monitor: CapsuleMonitor;
  let rootfs: string;
  const seen: string[] = [];

  beforeAll(async () => {
    home = await tempHome('nova-capwatch-');
    rootfs = busyboxRootfs(`${home.dir}/work`);
    cli = home.engine(); // another process's engine: it only writes files
    watching = home.engine();
    watching.bus.on('capsule.state', (e) => seen.push(`${e.name}:${e.state}`));
    watching.bus.on('resource.changed', (e) => e.kind === 'capsule' && e.state === 'removed' && seen.push(`${e.name}:removed`));
    monitor = monitorCapsules(watching, 3_600_000);
    await waitFor('the first pass', () => monitor.passes > 0, 5000, 10);
  });

  afterAll(async () => {
    monitor.stop();
    await home.cleanup();
  });

  it('publishes a capsule created and removed by another process, from inotify alone', async () => {
    await cli.dispatcher.invoke('capsule.create', { name: 'c1', spec: { capsule: rootfs, command: ['true'] } });
    await waitFor('created elsewhere', () => seen.includes('c1:created'), 5000, 10);
    await cli.dispatcher.invoke('capsule.rm', { name: 'c1' });
    await waitFor('removed elsewhere', () => seen.at(-1) === 'c1:removed', 5000, 10);
  });

  it('publishes a start, a pause and resume by another engine, and kill -9 from a shell, from inotify alone', async () => {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/crun')) return console.log('skipped: needs root and crun');
    const c = await cli.dispatcher.invoke('capsule.create', { name: 'npf-run', spec: { capsule: rootfs, command: ['sleep', '1000'], runtime: 'crun' }, start: true }) as { pid?: number };
    try {
      await waitFor('running', () => seen.at(-1) === 'npf-run:running', 10_000, 10);
      await cli.dispatcher.invoke('capsule.pause', { name: 'npf-run' });
      await waitFor('paused', () => seen.at(-1) === 'npf-run:paused', 5000, 10);
      await cli.dispatcher.invoke('capsule.resume', { name: 'npf-run' });
      await waitFor('running again', () => seen.at(-1) === 'npf-run:running', 5000, 10);
      process.kill(c.pid!, 'SIGKILL');
      await waitFor('crashed', () => seen.at(-1) === 'npf-run:crashed', 5000, 10);
    } finally {
      await cli.dispatcher.invoke('capsule.rm', { name: 'npf-run', force: true }).catch(() => undefined);
    }
  }, 60_000);

  it('runs no pass while nothing changes', async () => {
    await cli.dispatcher.invoke('capsule.create', { name: 'c2', spec: { capsule: rootfs, command: ['true'] } });
    await waitFor('c2 seen', () => seen.includes('c2:created'), 5000, 10);
    await sleep(200); // the passes its own creation caused are over
    const before = monitor.passes;
    await sleep(1500); // three passes of the old 500 ms poll
    expect(monitor.passes).toBe(before);
  });
});
