// `npm start` remembers that Electron's installer failed (no network, a blocked mirror), so the next
// start goes straight to the browser UI instead of waiting for the same failure again. Kept in
// Nova's data folder (survives reboots); `npm start -- --retry-electron` forgets it.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../core/sys/atomic.js';
import { resolvePaths } from '../core/sys/paths.js';

export interface ElectronFailure {
  /** ISO time of the failed attempt. */
  at: string;
  reason: string;
}

export const electronMemoFile = (env: NodeJS.ProcessEnv = process.env) => join(resolvePaths(env).data, 'launcher-electron.json');

export async function rememberedFailure(file: string): Promise<ElectronFailure | undefined> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<ElectronFailure>;
    return typeof v.at === 'string' && typeof v.reason === 'string' ? { at: v.at, reason: v.reason } : undefined;
  } catch {
    return undefined;
  }
}

export const rememberFailure = (file: string, reason: string, now = new Date()) => writeJsonAtomic(file, { at: now.toISOString(), reason } satisfies ElectronFailure);

export const forgetFailure = (file: string) => rm(file, { force: true });
