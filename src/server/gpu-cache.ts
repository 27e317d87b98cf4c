// The GPU inventory a /metrics scrape shows, kept between scrapes: a PCI scan plus pci.ids and
// diagnostics gives the same answer until a driver changes, so it is read again only when
// - Nova binds or unbinds (gpu.changed) or a VM changes (its claims),
// - a vfio group node comes or goes (inotify on /dev/vfio: a bind to vfio-pci by any tool),
// - or it is older than GPU_CACHE_MS, for driver changes by other tools that sysfs cannot signal.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type { Engine } from '../core/engine.js';
import type { Output } from '../shared/contract.js';

/** Longest a GPU inventory is reused by scrapes when no event said it changed. */
const GPU_CACHE_MS = 30_000;

export class GpuInventoryCache {
  private kept?: { at: number; value: Promise<Output<'gpu.list'>> };
  private readonly offs: (() => void)[];
  private readonly watcher?: FSWatcher;

  constructor(engine: Engine, private readonly read: () => Promise<Output<'gpu.list'>>) {
    const drop = () => (this.kept = undefined);
    this.offs = [engine.bus.on('gpu.changed', drop), engine.bus.on('resource.changed', (e) => e.kind === 'vm' && drop())];
    try {
      this.watcher = watch('/dev/vfio', drop);
      this.watcher.on('error', drop);
      this.watcher.unref();
    } catch {
      // No /dev/vfio (no vfio module loaded): the age limit covers it.
    }
  }

  list(): Promise<Output<'gpu.list'>> {
    if (!this.kept || Date.now() - this.kept.at > GPU_CACHE_MS) {
      const value = this.read();
      value.catch(() => (this.kept = undefined));
      this.kept = { at: Date.now(), value };
    }
    return this.kept.value;
  }

  close(): void {
    for (const off of this.offs) off();
    this.watcher?.close();
  }
}
