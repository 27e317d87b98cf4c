import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonFilePrefs, PrefsStore } from '../core/prefs/store.js';
import { createEngine } from '../core/engine.js';
import { resolvePaths } from '../core/sys/paths.js';
import type { StoreLike } from './prefs.js';
import { electronStorePrefs, openPrefsStore } from './prefs.js';

vi.mock('electron', async () => {
  const { fakeElectron } = await import('./testing/fake-electron.js');
  const e = fakeElectron();
  return { ...e, default: e };
});

describe('preferences through electron-store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nova-prefs-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the same top-level keys as the plain-Node JSON backend (fake store)', async () => {
    const fake: StoreLike = { store: {} };
    const viaStore = new PrefsStore(electronStorePrefs(fake));
    const viaFile = new PrefsStore(jsonFilePrefs(join(dir, 'plain.json')));
    for (const p of [viaStore, viaFile]) {
      await p.set('theme', 'tokyo-night-moon');
      await p.set('monitoring', { br0: { pollSeconds: 10, offlineThreshold: 3, notify: false } });
    }
    const plain = JSON.parse(await readFile(join(dir, 'plain.json'), 'utf8')) as Record<string, unknown>;
    expect(fake.store).toEqual(plain);
    expect(Object.keys(fake.store).sort()).toEqual(['allowedRoots', 'captureScanSeconds', 'expandedCards', 'gpuFilters', 'monitoring', 'notifications', 'storagePools', 'theme']);
  });

  it('rejects an invalid value without writing anything', async () => {
    const fake: StoreLike = { store: { theme: 'tokyo-night-day' } };
    const prefs = new PrefsStore(electronStorePrefs(fake));
    await expect(prefs.set('captureScanSeconds', 5)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('captureScanSeconds') });
    expect(fake.store).toEqual({ theme: 'tokyo-night-day' });
  });

  it('the app (real electron-store) and the CLI (plain JSON) share one prefs.json', async () => {
    const env = { ...process.env, NOVA_HOME: dir };
    const paths = resolvePaths(env);
    const app = createEngine({ env, paths, prefsBackend: electronStorePrefs(await openPrefsStore(paths.config)) });
    await app.dispatcher.invoke('prefs.set', { key: 'theme', value: 'material-ocean' });
    await app.dispatcher.invoke('prefs.set', { key: 'notifications', value: false });
    // What `nova` (plain Node) sees:
    const cli = createEngine({ env, paths });
    expect(await cli.dispatcher.invoke('prefs.get', {})).toMatchObject({ theme: 'material-ocean', notifications: false });
    // And the other way round.
    await cli.dispatcher.invoke('prefs.set', { key: 'theme', value: 'tokyo-night' });
    const reopened = createEngine({ env, paths, prefsBackend: electronStorePrefs(await openPrefsStore(paths.config)) });
    expect((await reopened.dispatcher.invoke('prefs.get', {})).theme).toBe('tokyo-night');
  });

  it('a hand-broken prefs.json is reported, never wiped', async () => {
    const file = join(dir, 'config', 'prefs.json');
    await rm(join(dir, 'config'), { recursive: true, force: true });
    await import('node:fs/promises').then((f) => f.mkdir(join(dir, 'config'), { recursive: true }));
    await writeFile(file, '{"theme": "tokyo-night-day",');
    await expect(openPrefsStore(join(dir, 'config'))).rejects.toThrow();
    expect(await readFile(file, 'utf8')).toBe('{"theme": "tokyo-night-day",');
  });
});
