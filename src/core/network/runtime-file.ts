import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Files derived from the saved switches (dnsmasq host files, the ruleset handed to nft): readers
 * must never see half a file (temp + rename), but they need no fsync — after a crash hydrate
 * writes them again from the state files, which are written durably.
 */
export async function writeRuntimeFile(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  await writeFile(tmp, data);
  await rename(tmp, path);
}
