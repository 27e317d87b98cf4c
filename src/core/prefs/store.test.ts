import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonFilePrefs, PrefsStore } from './store.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'nova-prefs-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('preferences', () => {
  it('defaults to Tokyo Night Storm and persists a change to disk', async () => {
    const file = join(dir, 'prefs.json');
    const store = new PrefsStore(jsonFilePrefs(file));
    expect((await store.get()).theme).toBe('tokyo-night-storm');
    await store.set('theme', 'material-ocean');
    expect(JSON.parse(await readFile(file, 'utf8')).theme).toBe('material-ocean');
    expect((await new PrefsStore(jsonFilePrefs(file)).get()).theme).toBe('material-ocean');
  });

  it('refuses out-of-range values naming the key, and keeps the old value', async () => {
    const store = new PrefsStore(jsonFilePrefs(join(dir, 'p.json')));
    await expect(store.set('captureScanSeconds', 500)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('captureScanSeconds') });
    expect((await store.get()).captureScanSeconds).toBe(30);
  });

  it('one corrupt stored key does not reset the others', async () => {
    const file = join(dir, 'p.json');
    await writeFile(file, JSON.stringify({ theme: 'tokyo-night-day', captureScanSeconds: 'often' }));
    const prefs = await new PrefsStore(jsonFilePrefs(file)).get();
    expect(prefs.theme).toBe('tokyo-night-day');
    expect(prefs.captureScanSeconds).toBe(30);
  });
});
