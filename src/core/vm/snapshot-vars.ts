// UEFI variables travel with snapshots. The VM's variable store (OVMF_VARS.fd, a raw pflash) is
// not a qcow2 node, so QEMU's internal snapshots leave it out: Nova keeps a copy per snapshot tag
// next to the definition (<vm>/snapshot-vars/<tag>.fd). A live snapshot copies it with the vCPUs
// paused (pflash writes go straight to the file, so the copy equals what the guest's flash held),
// a stopped VM's snapshot copies the file. Restoring a stopped VM writes the copy back in place
// (owner and mode kept: a confined QEMU's user still owns it); a live restore needs no write: the
// flash contents are part of the snapshot's RAM and QEMU writes them back to the file when the
// restored VM runs (pflash's post-load update). Deleting the snapshot deletes the copy.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { NovaPaths } from '../sys/paths.js';
import { layoutOf, vmDir } from './store.js';

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Where a tag's copy lives; tags made outside Nova (qemu-img) with other characters are hex-encoded. */
export function varsCopyPath(paths: NovaPaths, name: string, tag: string): string {
  return join(vmDir(paths, name), 'snapshot-vars', `${SAFE.test(tag) ? tag : `x-${Buffer.from(tag).toString('hex')}`}.fd`);
}

/** Copies the VM's variable store for `tag` (none: the VM has no UEFI vars yet). Written to a temp name and renamed. */
export async function saveVarsCopy(paths: NovaPaths, name: string, tag: string): Promise<boolean> {
  const vars = layoutOf(paths, name).varsFile;
  if (!existsSync(vars)) return false;
  const dest = varsCopyPath(paths, name, tag);
  await mkdir(join(vmDir(paths, name), 'snapshot-vars'), { recursive: true, mode: 0o700 });
  await copyFile(vars, `${dest}.tmp`);
  await rename(`${dest}.tmp`, dest);
  return true;
}

export const hasVarsCopy = (paths: NovaPaths, name: string, tag: string) => existsSync(varsCopyPath(paths, name, tag));

/** A stopped VM: the copy's bytes go back into the variable store, in place. */
export async function restoreVarsCopy(paths: NovaPaths, name: string, tag: string): Promise<boolean> {
  const src = varsCopyPath(paths, name, tag);
  if (!existsSync(src)) return false;
  const data = await readFile(src);
  const fh = await open(layoutOf(paths, name).varsFile, 'r+');
  try {
    await fh.write(data, 0, data.length, 0);
    await fh.truncate(data.length);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

export const dropVarsCopy = (paths: NovaPaths, name: string, tag: string) => rm(varsCopyPath(paths, name, tag), { force: true });
