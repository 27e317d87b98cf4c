// A dirty flag raised by the kernel (inotify through fs.watch) when anything changes in a set of
// folders: the /metrics model cache (server/model-cache.ts) reads the VM and capsule lists again
// only after one of their folders changed, and the serving engine's VM and capsule watchers
// (vm/watcher.ts, capsule/monitor.ts) look at an item when its folder says it changed instead of
// polling every item twice a second. One inotify descriptor per process (libuv shares it); one
// watch per folder.
import { existsSync, readdirSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

/** Says whether an event on `name` in `dir` cannot change what is cached (a log line, a disk write). */
export type IgnoreEvent = (dir: string, name: string) => boolean;

/**
 * Told of every event that raised the flag: the watched folder and the entry's name (undefined
 * when the kernel did not say, e.g. its queue overflowed: assume anything changed).
 */
export type OnChange = (dir: string, name: string | undefined) => void;

export class DirWatch {
  /** True until the first read, and after any change since the last `clean()`. */
  dirty = true;
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly ignore: IgnoreEvent = () => false,
    private readonly onChange?: OnChange,
  ) {}

  /** Call before reading what the folders hold: a change during the read raises the flag again. */
  clean(): void {
    this.dirty = false;
  }

  mark = (): void => {
    this.dirty = true;
  };

  /**
   * Watches exactly these folders from now on. A folder that does not exist (yet) is covered by
   * its nearest existing parent, which sees it appear. Returns true when a folder was newly
   * watched: what changed in it before the watch began was not seen, so the caller looks again.
   */
  sync(dirs: Iterable<string>): boolean {
    const want = new Set<string>();
    for (const d of dirs) want.add(nearestExisting(d));
    for (const [d, w] of this.watchers) {
      if (want.has(d)) continue;
      w.close();
      this.watchers.delete(d);
    }
    let added = false;
    for (const d of want) if (!this.watchers.has(d) && this.add(d)) added = true;
    return added;
  }

  private add(d: string): boolean {
    try {
      const w = watch(d, { persistent: false }, (_event, name) => {
        // No name (the kernel's queue overflowed, or the folder itself changed): assume the worst.
        if (typeof name === 'string' && this.ignore(d, name)) return;
        this.dirty = true;
        this.onChange?.(d, typeof name === 'string' ? name : undefined);
      });
      w.on('error', () => {
        this.dirty = true;
        this.onChange?.(d, undefined);
        w.close();
        if (this.watchers.get(d) === w) this.watchers.delete(d);
      });
      this.watchers.set(d, w);
      return true;
    } catch {
      // Gone between the check and the watch: look again at the next read.
      this.dirty = true;
      this.onChange?.(d, undefined);
      return false;
    }
  }

  get size(): number {
    return this.watchers.size;
  }

  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.dirty = true;
  }
}

/** The folder itself, or its nearest parent that exists (which sees it appear). */
function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsSync(d) && d !== dirname(d)) d = dirname(d);
  return d;
}

/** The names in a folder (none when it does not exist yet). */
export function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
