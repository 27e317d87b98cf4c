// A small bootable installer CD for tests of the ISO install flow: isolinux (BIOS) boots the
// shared test guest's kernel and initrd with `mark` on its command line, so the serial log shows
// that the CD, not the disk, booted.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const ISOLINUX = '/usr/lib/ISOLINUX/isolinux.bin';
const LDLINUX = '/usr/lib/syslinux/modules/bios/ldlinux.c32';
/** isolinux and syslinux-common are installed (Debian packages of those names). */
export const HAS_ISOLINUX = existsSync(ISOLINUX) && existsSync(LDLINUX);

/** Writes `iso` from a tree under `work`: isolinux + the guest's kernel/initrd, `mark` on the command line. */
export async function makeBootIso(work: string, iso: string, guest: { kernel: string; initrd: string }, mark: string): Promise<string> {
  const tree = join(work, 'isotree');
  await mkdir(join(tree, 'isolinux'), { recursive: true });
  await copyFile(ISOLINUX, join(tree, 'isolinux', 'isolinux.bin'));
  await copyFile(LDLINUX, join(tree, 'isolinux', 'ldlinux.c32'));
  await copyFile(guest.kernel, join(tree, 'vmlinuz'));
  await copyFile(guest.initrd, join(tree, 'initrd.gz'));
  await writeFile(join(tree, 'isolinux', 'isolinux.cfg'), `SERIAL 0 115200\nDEFAULT nova\nPROMPT 0\nTIMEOUT 1\nLABEL nova\n  KERNEL /vmlinuz\n  APPEND initrd=/initrd.gz console=ttyS0 panic=-1 ${mark}\n`);
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-o', iso, '-b', 'isolinux/isolinux.bin', '-c', 'isolinux/boot.cat', '-no-emul-boot', '-boot-load-size', '4', '-boot-info-table', '-R', '-J', tree], { stdio: 'pipe' });
  return iso;
}

/** A data CD (no boot record) holding `files`, like the virtio-win drivers ISO. */
export function makeDataIso(work: string, iso: string, label: string): string {
  execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', label, '-o', iso, '-R', '-J', work], { stdio: 'pipe' });
  return iso;
}
