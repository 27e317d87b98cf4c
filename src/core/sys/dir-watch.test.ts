import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/wait.js';
import { DirWatch } from './dir-watch.js';

// Two loop turns: an event the kernel queued is read by the poll phase in between.
const turns = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

describe('DirWatch: a dirty flag raised by inotify', () => {
  const made: { dir: string; w: DirWatch }[] = [];
  const lab = (ignore?: (dir: string, name: string) => boolean) => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-dirwatch-'));
    const w = new DirWatch(ignore);
    made.push({ dir, w });
    return { dir, w };
  };
  afterEach(() => {
    for (const { dir, w } of made.splice(0)) {
      w.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is raised by a file written in a watched folder, not by an ignored name', async () => {
    const { dir, w } = lab((_d, name) => name.endsWith('.log'));
    expect(w.sync([dir])).toBe(true);
    expect(w.sync([dir])).toBe(false); // already watched
    w.clean();
    writeFileSync(join(dir, 'console.log'), 'line\n');
    await turns();
    expect(w.dirty).toBe(false);
    writeFileSync(join(dir, 'exit.json'), '{}');
    await waitFor('the write to raise the flag', () => w.dirty, 5000, 10);
  });

  it('covers a folder that does not exist yet by its parent, then watches it once it does', async () => {
    const { dir, w } = lab();
    const later = join(dir, 'run', 'v1');
    w.sync([later]);
    expect(w.size).toBe(1);
    w.clean();
    mkdirSync(later, { recursive: true });
    await waitFor('the new folder to raise the flag', () => w.dirty, 5000, 10);
    w.sync([later]);
    w.clean();
    writeFileSync(join(later, 'qemu.pid'), '1');
    await waitFor('a write inside the new folder to raise the flag', () => w.dirty, 5000, 10);
  });

  it('stops watching folders no longer asked for', async () => {
    const { dir, w } = lab();
    const a = join(dir, 'a');
    mkdirSync(a);
    w.sync([dir, a]);
    expect(w.size).toBe(2);
    w.sync([dir]);
    expect(w.size).toBe(1);
    w.clean();
    writeFileSync(join(a, 'x'), '1');
    await turns();
    expect(w.dirty).toBe(false);
  });
});
