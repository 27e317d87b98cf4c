import { chmod, chown, lstat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { NovaError } from '../../shared/errors.js';
import { crashPoint } from '../sys/crash-point.js';
import type { Reverter } from '../sys/reverter.js';

// /dev/vfio/N is how a VM's QEMU reaches an IOMMU group bound to vfio-pci. Root's QEMU opens it
// as root; for a desktop user `nova privd` hands the node to the caller after a bind (their own
// QEMU opens it for the VM's life) and gives it back (root, 0600) before the devices leave
// vfio-pci. Every change is recorded in the action's Reverter before it is made.

export const VFIO_DIR = '/dev/vfio';

export interface VfioHandover {
  /** After a bind: the group's node belongs to the caller, mode 0600. Returns the node's path. */
  handOver(r: Reverter, group: number): Promise<string>;
  /** Before the devices leave vfio-pci (or when the VM lets go): the node is root's again, 0600. */
  giveBack(r: Reverter, group: number): Promise<void>;
}

/** The group's node: a character device (a plain file in a test's fixture folder), never a link. */
async function node(dir: string, group: number): Promise<{ path: string; st: Stats | undefined }> {
  if (!Number.isSafeInteger(group) || group < 0) throw new NovaError('INTERNAL', `IOMMU group ${group} is not a group number`);
  const path = join(dir, String(group));
  const st = await lstat(path).catch(() => undefined);
  if (st && !(st.isCharacterDevice() || st.isFile())) {
    throw new NovaError('CONFLICT', `${path} is not the VFIO group device (a ${st.isSymbolicLink() ? 'symbolic link' : 'folder or socket'}): refusing to change its owner`, { path });
  }
  return { path, st };
}

export async function setOwner(path: string, uid: number, gid: number, mode: number): Promise<void> {
  await chown(path, uid, gid);
  crashPoint(`${path} owned by uid ${uid}`);
  await chmod(path, mode);
  crashPoint(`${path} mode ${mode.toString(8)}`);
}

/** Hands group nodes under `dir` (/dev/vfio, or a test's folder set at privd start) to `to`. */
export function vfioHandover(dir: string, to: { uid: number; gid: number }, waitMs: number): VfioHandover {
  return {
    async handOver(r, group) {
      // The kernel adds the node when vfio-pci takes the group's first device: wait for it.
      const until = Date.now() + waitMs;
      let n = await node(dir, group);
      while (!n.st && Date.now() < until) {
        await new Promise((res) => setTimeout(res, 20));
        n = await node(dir, group);
      }
      const st = n.st;
      if (!st) throw new NovaError('NOT_FOUND', `${n.path} did not appear after binding IOMMU group ${group} to vfio-pci`, { path: n.path, fix: 'check that the vfio and vfio_pci modules are loaded and `dmesg | tail` for errors' });
      r.add(() => setOwner(n.path, st.uid, st.gid, st.mode & 0o7777), `give ${n.path} back to uid ${st.uid}`);
      await setOwner(n.path, to.uid, to.gid, 0o600);
      return n.path;
    },
    async giveBack(r, group) {
      const { path, st } = await node(dir, group);
      if (!st || (st.uid === 0 && st.gid === 0 && (st.mode & 0o7777) === 0o600)) return;
      r.add(() => setOwner(path, st.uid, st.gid, st.mode & 0o7777), `hand ${path} to uid ${st.uid} again`);
      await setOwner(path, 0, 0, 0o600);
    },
  };
}
