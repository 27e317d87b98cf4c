// The OS image store: <data>/os-images/NAME/FILE plus image.json once verified. One copy per
// image, shared by every VM that uses it as a backing file. Pulls run as tasks under a lock per image.
import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NovaError } from '../../shared/errors.js';
import { OS_CATALOG, osImageEntry } from '../../shared/os-catalog.js';
import type { OsImageEntry } from '../../shared/os-catalog.js';
import type { OsImagePulled, OsImageRow } from '../../shared/contract/osimage.js';
import { formatBytes } from '../../shared/sizes.js';
import type { EngineContext } from '../context.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
import { withLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import type { TaskHandle } from '../rpc/tasks.js';
import { download, fetchText } from './download.js';
import { clearsignedBody, findChecksum, gpgVerify, hashFile, keyringPath } from './verify.js';
import { lazy } from '../../shared/lazy.js';

export const osImagesDir = (engine: EngineContext) => join(engine.paths.data, 'os-images');
export const userCatalogFile = (engine: EngineContext) => join(engine.paths.config, 'os-images.json');

const userCatalog = lazy(() => z
  .object({
    images: z.array(osImageEntry).default([]),
    /** name → mirror directory URL, used when the pull gives no --mirror. */
    mirrors: z.record(z.string(), z.string().regex(/^https?:\/\/\S+$/, 'a mirror is an http:// or https:// URL')).default({}),
  })
  .strict());

interface Stored {
  name: string;
  file: string;
  format: OsImageEntry['format'];
  source: string;
  sizeBytes: number;
  checksum: { algorithm: string; value: string };
  signature: { checked: boolean; note: string };
  pulledAt: number;
}

type Catalog = { entries: Map<string, { entry: OsImageEntry; origin: 'builtin' | 'user' }>; mirrors: Record<string, string> };

export async function loadCatalog(engine: EngineContext): Promise<Catalog> {
  const entries: Catalog['entries'] = new Map();
  for (const e of OS_CATALOG) entries.set(e.name, { entry: osImageEntry.parse(e), origin: 'builtin' });
  const raw = await readJson<unknown>(userCatalogFile(engine), {});
  const parsed = userCatalog.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new NovaError('INVALID_INPUT', `${userCatalogFile(engine)}: ${issue.path.join('.') || '(top)'}: ${issue.message}`, { file: userCatalogFile(engine) });
  }
  for (const e of parsed.data.images) entries.set(e.name, { entry: e, origin: 'user' });
  return { entries, mirrors: parsed.data.mirrors };
}

const withSlash = (u: string) => (u.endsWith('/') ? u : `${u}/`);
const urlOf = (base: string, file: string) => (/^https?:\/\//.test(file) ? file : new URL(file, withSlash(base)).toString());

async function stored(engine: EngineContext, name: string): Promise<Stored | undefined> {
  const meta = await readJson<Stored | undefined>(join(osImagesDir(engine), name, 'image.json'), undefined);
  if (!meta) return undefined;
  const st = await stat(join(osImagesDir(engine), name, meta.file)).catch(() => undefined);
  return st && st.size === meta.sizeBytes ? meta : undefined;
}

function row(engine: EngineContext, entry: OsImageEntry, origin: 'builtin' | 'user', meta?: Stored, partial?: number): OsImageRow {
  return {
    name: entry.name,
    title: entry.title,
    os: entry.os,
    kind: entry.kind,
    format: entry.format,
    origin,
    ...(entry.kind === 'cloud' ? { source: urlOf(entry.base!, entry.file!) } : entry.page ? { source: entry.page } : {}),
    ...(entry.preset ? { preset: entry.preset } : {}),
    ...(entry.notes ? { notes: entry.notes } : {}),
    ...(meta ? { path: join(osImagesDir(engine), entry.name, meta.file), sizeBytes: meta.sizeBytes } : {}),
    ...(partial ? { partialBytes: partial } : {}),
  };
}

export async function listOsImages(engine: EngineContext): Promise<OsImageRow[]> {
  const { entries } = await loadCatalog(engine);
  return Promise.all(
    [...entries.values()].map(async ({ entry, origin }) => {
      const meta = await stored(engine, entry.name);
      const partial = entry.file && !meta ? (await stat(join(osImagesDir(engine), entry.name, `${entry.file}.part`)).catch(() => undefined))?.size : undefined;
      return row(engine, entry, origin, meta, partial);
    }),
  );
}

/** Fetches the checksum list and checks its signature (detached or clearsigned) before any download. */
async function trustedSums(engine: EngineContext, entry: OsImageEntry, base: string, signal: AbortSignal) {
  const sumsUrl = urlOf(base, entry.checksums!.file);
  const sums = await fetchText(sumsUrl, signal);
  const sig = entry.signature;
  if (!sig) return { sums: sums.toString('utf8'), signature: { checked: false, note: entry.signatureNote ?? `${entry.name}: no signature in the catalog; checksum checked, signature not` } };
  const keyring = keyringPath(sig.keyring);
  if (!keyring) {
    return { sums: sums.toString('utf8'), signature: { checked: false, note: `keyring ${sig.keyring} is not shipped with this build (resources/keys/): checksum checked, signature NOT checked` }, skipped: true };
  }
  if (sig.mode === 'image') return { sums: sums.toString('utf8'), signature: { checked: false, note: 'pending' }, imageSig: { url: urlOf(base, sig.file), keyring } };
  const good = sig.mode === 'clearsigned' ? await gpgVerify(engine.runner, keyring, sums) : await gpgVerify(engine.runner, keyring, sums, await fetchText(urlOf(base, sig.file), signal));
  const text = sums.toString('utf8');
  return { sums: sig.mode === 'clearsigned' ? clearsignedBody(text) : text, signature: { checked: true, note: `${good} (${sig.file}, keyring ${sig.keyring})` } };
}

export async function pullOsImage(engine: EngineContext, name: string, mirror: string | undefined, task: TaskHandle): Promise<OsImagePulled> {
  const { entries, mirrors } = await loadCatalog(engine);
  const found = entries.get(name);
  if (!found) throw new NovaError('NOT_FOUND', `no OS image "${name}" in the catalog; \`nova image vm ls\` lists them (or add one to ${userCatalogFile(engine)})`, { name });
  const { entry, origin } = found;
  if (entry.kind !== 'cloud') {
    throw new NovaError('INVALID_INPUT', `${name} is not downloaded by Nova: ${entry.notes ?? ''} Page: ${entry.page}`.replace(/ {2}/g, ' '), { name, page: entry.page });
  }
  const dir = join(osImagesDir(engine), name);
  await mkdir(dir, { recursive: true });
  return withLock(lockPath(engine.paths, 'osimage', name), async () => {
    const have = await stored(engine, name);
    if (have) return { ...row(engine, entry, origin, have), path: join(dir, have.file), sizeBytes: have.sizeBytes, checksum: have.checksum, signature: have.signature, cached: true, resumedFrom: 0 };
    const base = mirror ?? mirrors[name] ?? entry.base!;
    const file = entry.file!;
    const algorithm = entry.checksums!.algorithm;
    task.progress(null, `${name}: checking ${entry.checksums!.file}`);
    const trust = await trustedSums(engine, entry, base, task.signal);
    const expected = findChecksum(trust.sums, file, algorithm);
    if (!expected) throw new NovaError('INVALID_INPUT', `${urlOf(base, entry.checksums!.file)} has no ${algorithm} line for ${file}; the catalog entry is out of date`, { name, file });
    const dest = join(dir, file);
    const url = urlOf(base, file);
    const got = await download(url, dest, {
      signal: task.signal,
      onProgress: (p) => task.progress(p.total ? p.received / p.total : null, `${name}: ${formatBytes(p.received)}${p.total ? ` of ${formatBytes(p.total)}` : ''}`),
    });
    task.progress(null, `${name}: verifying ${algorithm}`);
    const actual = await hashFile(dest, algorithm, task.signal);
    if (actual !== expected) {
      await unlink(dest).catch(() => undefined);
      throw new NovaError('INVALID_INPUT', `${name}: ${algorithm} mismatch for ${file} (expected ${expected}, got ${actual}); the file was deleted: pull again, or check the mirror`, { name, expected, actual });
    }
    let signature = trust.signature;
    if (trust.imageSig) {
      const sig = await fetchText(trust.imageSig.url, task.signal);
      const good = await gpgVerify(engine.runner, trust.imageSig.keyring, Buffer.alloc(0), sig, dest).catch(async (e: unknown) => {
        await unlink(dest).catch(() => undefined);
        throw e;
      });
      signature = { checked: true, note: `${good} (${entry.signature!.file})` };
    }
    const meta: Stored = { name, file, format: entry.format, source: url, sizeBytes: got.bytes, checksum: { algorithm, value: actual }, signature, pulledAt: engine.clock.now() };
    await writeJsonAtomic(join(dir, 'image.json'), meta);
    return { ...row(engine, entry, origin, meta), path: dest, sizeBytes: got.bytes, checksum: meta.checksum, signature, cached: false, resumedFrom: got.resumedFrom };
  });
}

/** VM disks whose backing file is this image (the image must stay while they exist). */
async function backedDisks(engine: EngineContext, path: string): Promise<string[]> {
  const vms = await engine.call('vm.list', {}).catch(() => ({ items: [] }));
  const users: string[] = [];
  for (const vm of vms.items) {
    for (const d of vm.disks) {
      const info = await engine.call('vm.disk.info', { path: d.path }).catch(() => undefined);
      if (info?.backingFile === path) users.push(`${vm.name} (${d.path})`);
    }
  }
  return users;
}

export async function removeOsImage(engine: EngineContext, name: string, force: boolean): Promise<{ name: string; removed: boolean; freedBytes: number }> {
  const dir = join(osImagesDir(engine), name);
  return withLock(lockPath(engine.paths, 'osimage', name), async () => {
    const meta = await stored(engine, name);
    if (meta && !force) {
      const users = await backedDisks(engine, join(dir, meta.file));
      if (users.length) throw new NovaError('CONFLICT', `OS image ${name} is the backing file of VM disk ${users.join(', ')}; delete those VMs first (or --force, which breaks them)`, { name, users });
    }
    const files = await readdir(dir).catch(() => [] as string[]);
    if (!files.length) throw new NovaError('NOT_FOUND', `OS image ${name} is not stored; \`nova image vm ls\` shows what is`, { name });
    let freed = 0;
    for (const f of files) freed += (await stat(join(dir, f)).catch(() => undefined))?.size ?? 0;
    await rm(dir, { recursive: true, force: true });
    return { name, removed: true, freedBytes: freed };
  });
}
