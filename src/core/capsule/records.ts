import { readdirSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';
import { compareNames } from '../../shared/name-order.js';
import type { ContainerSpec } from '../../shared/schemas/novafile.js';
import { writeJsonAtomic } from '../sys/atomic.js';
import { readJsonKept } from '../sys/small-files.js';
import { dirs } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import { capsuleLayout } from './layout.js';
import type { RuntimeName } from './runtime.js';

/** What Nova stores per capsule (mode 0600: env values are secrets). Never a cached "running". */
export interface CapsuleRecord {
  name: string;
  id: string;
  project?: string;
  spec: ContainerSpec;
  baseDir: string;
  createdAt: number;
  runtime: RuntimeName;
  image: { ref: string; digest?: string; rootfs: string; config: { cmd?: string[]; entrypoint?: string[]; env?: string[]; workdir?: string; user?: string } };
  network?: { name: string; netns: string; ip?: string; ifname?: string; dns?: string[]; domain?: string; gateway?: string; prefix?: number };
  /** The first start ever (the restart policy only revives capsules that ran); a run's own start is in status.ts. */
  startedAt?: number;
}

export async function readRecord(paths: NovaPaths, name: string): Promise<CapsuleRecord | undefined> {
  return readJsonKept<CapsuleRecord | undefined>(`${dirs.capsules(paths)}/${name}/capsule.json`, undefined);
}

export async function getRecord(paths: NovaPaths, name: string): Promise<CapsuleRecord> {
  const rec = await readRecord(paths, name);
  if (!rec) throw new NovaError('NOT_FOUND', `no capsule named "${name}" (see \`nova capsule ls\`)`, { name });
  return rec;
}

export async function writeRecord(paths: NovaPaths, rec: CapsuleRecord): Promise<void> {
  await writeJsonAtomic(capsuleLayout(paths, rec.name).record, rec, { mode: 0o600 });
}

export async function listRecords(paths: NovaPaths): Promise<CapsuleRecord[]> {
  let names: string[] = [];
  try {
    names = readdirSync(dirs.capsules(paths));
  } catch {
    /* no capsule yet */
  }
  const recs = await Promise.all(names.map((n) => readRecord(paths, n).catch(() => undefined)));
  return recs.filter((r): r is CapsuleRecord => Boolean(r)).sort((a, b) => compareNames(a.name, b.name));
}

/** Env values of a capsule, to redact from logs and command output. */
export const secretsOf = (rec: CapsuleRecord): string[] => Object.values(rec.spec.env).filter((v) => v.length > 0);
