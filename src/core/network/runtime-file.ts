import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Files derived from the saved switches (dnsmasq host files, the ruleset handed to nft, intents):
 * readers must never see half a file (temp + rename), but they need no fsync — after a crash
 * hydrate writes them again from the state files, which are written durably. Synchronous: they
 * are small files in Nova's own folders, and on a loaded host each promise-API step (mkdir, open,
 * write, close, rename) waits for a libuv pool thread both ways.
 */
export async function writeRuntimeFile(path: string, data: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}
