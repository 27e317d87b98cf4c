// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineBridge } from '../test/engineBridge';
import type { TestEngine } from '../test/engineBridge';
import { wireEvents } from '../lib/wire';
import { useConnection, isStale } from './connection';
import { usePrefs } from './prefs';
import { REFETCH_MS, useResources } from './resources';
import { useTasks } from './tasks';
import { LOCAL, useHosts } from './hosts';
import { THEME_CACHE_KEY } from '../theme/themes';

const until = async (check: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('stores fed by a real engine', () => {
  let t: TestEngine;
  let unwire: () => void;
  let listCalls = 0;
  const rows = [{ kind: 'vm' as const, name: 'web', state: 'stopped' }];

  beforeAll(async () => {
    t = await engineBridge();
    // A row source registered the way backends do (the registry is the engine's own).
    t.engine.resources.provide('vm', async () => {
      listCalls++;
      return rows;
    });
    unwire = wireEvents();
    await until(() => useResources.getState().status === 'ready' && usePrefs.getState().prefs !== undefined);
  });
  afterAll(async () => {
    unwire();
    await t.home.cleanup();
  });

  it('a burst of resource events patches at once and refetches once (debounced)', async () => {
    const before = listCalls;
    rows[0]!.state = 'running';
    for (let i = 0; i < 5; i++) t.engine.bus.emit('vm.state', { name: 'web', state: 'running' });
    expect(useResources.getState().items[0]!.state).toBe('running'); // patched before any refetch
    await new Promise((r) => setTimeout(r, REFETCH_MS + 150));
    expect(listCalls - before).toBe(1);
  });

  it('the host switcher reads this host\'s list only for another scope (no second resource.list at start)', async () => {
    t.engine.dispatcher.handle('host.list', () => ({ items: [] })); // no remote hosts
    const before = listCalls;
    await useHosts.getState().refresh(); // "This host" chosen: the resources store has the list
    expect(listCalls - before).toBe(0);
    useHosts.getState().setScope('all');
    await until(() => useHosts.getState().hosts[LOCAL]?.status === 'reachable' || Boolean(useHosts.getState().error));
    expect(useHosts.getState().error).toBeUndefined();
    expect(listCalls - before).toBe(1);
    expect(useHosts.getState().hosts[LOCAL]!.items.map((r) => r.name)).toEqual(['web']);
    useHosts.getState().setScope(LOCAL);
  });

  it('the theme persists through prefs.set and is cached for the next first paint', async () => {
    await usePrefs.getState().set('theme', 'tokyo-night-moon');
    expect(document.documentElement.dataset.theme).toBe('tokyo-night-moon');
    expect(localStorage.getItem(THEME_CACHE_KEY)).toBe('tokyo-night-moon');
    expect((await t.engine.prefs.get()).theme).toBe('tokyo-night-moon');
  });

  it('a preference the engine rejects rolls back', async () => {
    const before = usePrefs.getState().prefs!.captureScanSeconds;
    await usePrefs.getState().set('captureScanSeconds', 999);
    expect(usePrefs.getState().prefs!.captureScanSeconds).toBe(before);
  });

  it('tasks appear with progress and leave after finishing', async () => {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const run = t.engine.tasks.run('Pull image', async (task) => {
      task.progress(0.4, 'layer 2/5');
      await done;
    });
    await until(() => Object.values(useTasks.getState().tasks).some((x) => x.progress === 0.4));
    finish();
    await run;
    await until(() => Object.values(useTasks.getState().tasks).every((x) => x.state === 'done'));
  });

  it('stale only after the stream was open and dropped; reopening refetches', async () => {
    const c = useConnection.getState();
    c.set('open');
    expect(isStale(useConnection.getState())).toBe(false);
    c.set('closed');
    expect(isStale(useConnection.getState())).toBe(true);
    const before = listCalls;
    useConnection.getState().set('open');
    await until(() => listCalls > before);
    expect(isStale(useConnection.getState())).toBe(false);
  });
});
