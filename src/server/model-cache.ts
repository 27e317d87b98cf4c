// The VM and capsule lists a /metrics scrape is made of, kept between scrapes and read again
// only when something says they changed, so a scrape of a quiet fleet does no per-item file
// reads (#21, #24). What says so:
// - the engine's own events (resource.changed for a VM or capsule: create, start, stop, update,
//   delete, QMP state events, the watchers' findings about other processes);
// - the kernel (inotify, dir-watch.ts) on the folders that hold each item's state: records,
//   pidfiles, markers, exit records, runtime info — whoever writes them (the CLI, another engine,
//   the capsule supervisor, QEMU removing its pidfile at exit);
// - per scrape, only for items that run: a VM with a process is read afresh (QMP status, as
//   before); a running or paused capsule's process is checked in /proc and its freezer state
//   compared (kill -9 from outside and `crun pause` change no file of ours).
import { dirs } from '../core/sys/paths.js';
import { pidAlive } from '../core/sys/proc.js';
import { capsuleFrozen } from '../core/capsule/freezer.js';
import { capsuleCgroup, capsuleLayout } from '../core/capsule/layout.js';
import type { Engine } from '../core/engine.js';
import type { Method, Output } from '../shared/contract.js';
import { DirWatch } from '../core/sys/dir-watch.js';

type Read = <M extends Method>(method: M, input: unknown) => Promise<Output<M>>;
type VmItem = Output<'vm.list'>['items'][number];
type CapsuleItem = Output<'capsule.list'>['items'][number];

// Events that cannot change a listed state: console and serial logs, disk images and firmware
// variables being written by a running guest.
const NOISE = /\.(log|qcow2|img|raw|fd|iso)$/;

/**
 * Two turns of the event loop: inotify events already queued by the kernel (a file written just
 * before the scrape, even by this thread) are read by the loop's poll phase and have raised
 * their flag before the cache is trusted.
 */
const settle = () => new Promise<void>((r) => setImmediate(() => setImmediate(r)));

export class ModelCache {
  private readonly vmWatch: DirWatch;
  private readonly capWatch = new DirWatch((_dir, name) => NOISE.test(name));
  private vms?: VmItem[];
  private caps?: CapsuleItem[];
  private readonly offs: (() => void)[];

  constructor(private readonly engine: Engine, private readonly read: Read) {
    const vmRoot = dirs.vms(engine.paths);
    // Disk images sit beside the VM folders (names with a dot; VM names have none).
    this.vmWatch = new DirWatch((dir, name) => NOISE.test(name) || (dir === vmRoot && name.includes('.')));
    this.offs = [
      engine.bus.on('resource.changed', (e) => {
        if (e.kind === 'vm') this.vmWatch.mark();
        if (e.kind === 'capsule') this.capWatch.mark();
      }),
    ];
  }

  /** vm.list's items: the cached ones when no folder or event said otherwise, live VMs read afresh. */
  async vmList(): Promise<VmItem[]> {
    await settle();
    if (this.vmWatch.dirty || !this.vms) {
      this.vmWatch.clean();
      const { items } = await this.read('vm.list', {});
      const p = this.engine.paths;
      const folders = [dirs.vms(p), `${p.runtime}/vms`];
      for (const v of items) folders.push(`${dirs.vms(p)}/${v.name}`, `${p.runtime}/vms/${v.name}`, `${p.runtime}/vms/${v.name}/qemu`);
      if (this.vmWatch.sync(folders)) this.vmWatch.mark();
      this.vms = items;
      return items;
    }
    // A VM with a process: its state comes from QMP (paused, suspended, …), as vm.list reads it.
    const fresh = await Promise.all(this.vms.map((v) => (v.pid === undefined ? v : this.read('vm.inspect', { name: v.name }).catch(() => undefined))));
    if (fresh.some((v) => v === undefined)) {
      this.vmWatch.mark(); // gone meanwhile
      return this.vmList();
    }
    // The same array while nothing a series shows changed: /metrics keeps those series' text.
    if (fresh.some((v, i) => !sameShown(v!, this.vms![i]!))) this.vms = fresh as VmItem[];
    return this.vms;
  }

  /** capsule.list's items: the cached ones unless a folder, an event or a process says otherwise. */
  async capsuleList(): Promise<CapsuleItem[]> {
    await settle();
    if (!this.capWatch.dirty && this.caps && this.capsStillLive(this.caps)) return this.caps;
    this.capWatch.clean();
    const { items } = await this.read('capsule.list', {});
    const root = dirs.capsules(this.engine.paths);
    if (this.capWatch.sync([root, ...items.map((c) => `${root}/${c.name}`)])) this.capWatch.mark();
    this.caps = items;
    return items;
  }

  private capsStillLive(items: CapsuleItem[]): boolean {
    for (const c of items) {
      if (c.state !== 'running' && c.state !== 'paused') continue;
      if (c.pid !== undefined && !pidAlive(c.pid)) return false;
      const frozen = capsuleFrozen(capsuleLayout(this.engine.paths, c.name), capsuleCgroup(c.id));
      if (frozen !== undefined && frozen !== (c.state === 'paused')) return false;
    }
    return true;
  }

  close(): void {
    for (const off of this.offs) off();
    this.vmWatch.close();
    this.capWatch.close();
  }
}

/** What the VM's series show besides per-scrape stats: state, reason, process, accelerator. */
function sameShown(a: VmItem, b: VmItem): boolean {
  return a.state === b.state && a.reason === b.reason && a.pid === b.pid && a.accelerator.kind === b.accelerator.kind && a.accelerator.reason === b.accelerator.reason;
}
