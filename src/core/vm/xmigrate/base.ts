// `sync: top` for a cross-host move (#22): a disk that is a qcow2 overlay on an OS image of the
// source's image store (<data>/os-images/NAME/FILE, verified, with its checksum in image.json —
// the catalog images of #20) moves only its top layer when the target's store has the same image
// (same name, file, size and checksum): the target creates its disk as an overlay on its own copy
// and the mirror copies only what the overlay holds. Anything else moves whole (sync: full).
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { NovaPaths } from '../../sys/paths.js';

/** The OS image a disk is an overlay on, as the target checks it. */
export interface DiskBase {
  image: string;
  file: string;
  bytes: number;
  /** "sha256:HEX", from the image store's image.json. */
  checksum: string;
}

const storeDir = (paths: NovaPaths) => join(paths.data, 'os-images');

async function stored(paths: NovaPaths, image: string): Promise<DiskBase | undefined> {
  const meta = await readFile(join(storeDir(paths), image, 'image.json'), 'utf8').then((t) => JSON.parse(t) as { file?: string; sizeBytes?: number; checksum?: { algorithm?: string; value?: string } }, () => undefined);
  if (!meta?.file || !meta.checksum?.algorithm || !meta.checksum.value) return undefined;
  const st = await stat(join(storeDir(paths), image, meta.file)).catch(() => undefined);
  if (!st?.isFile() || st.size !== meta.sizeBytes) return undefined;
  return { image, file: meta.file, bytes: st.size, checksum: `${meta.checksum.algorithm}:${meta.checksum.value}` };
}

/** Source: the store image `backing` is, or undefined (no backing, or one outside the store). */
export async function baseOf(paths: NovaPaths, backing: string | undefined): Promise<DiskBase | undefined> {
  if (!backing || dirname(dirname(backing)) !== storeDir(paths)) return undefined;
  const found = await stored(paths, basename(dirname(backing)));
  return found && found.file === basename(backing) ? found : undefined;
}

/** Target: the path of this host's copy of `base`, when it is the same image. */
export async function localBase(paths: NovaPaths, base: DiskBase): Promise<string | undefined> {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(base.image) || base.image.includes('..')) return undefined;
  const mine = await stored(paths, base.image);
  if (!mine || mine.file !== base.file || mine.bytes !== base.bytes || mine.checksum !== base.checksum) return undefined;
  return join(storeDir(paths), base.image, mine.file);
}
