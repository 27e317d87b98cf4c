import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { NovaError } from '../../../shared/errors.js';
import type { ImageInfo } from '../../../shared/contract/capsule.js';
import type { EngineContext } from '../../context.js';
import { readJson, writeJsonAtomic } from '../../sys/atomic.js';
import { withLock } from '../../sys/lock.js';
import { dirs, lockPath } from '../../sys/paths.js';
import { layoutExists, readLayoutImage } from './oci-layout.js';
import { isLoopbackRegistry, layoutTag, parseImageRef } from './refs.js';
import type { ImageRef } from './refs.js';
import { skopeoCopy } from './skopeo.js';
import { asNamespaceRoot, removeTree } from '../namespace-root.js';

// The local image store: one OCI layout under <data>/images/oci (blobs shared between images),
// an index of what Nova pulled or imported, and one unpacked rootfs per image digest, shared
// read-only as the overlay lower layer of every capsule using that image.

export type StoredImage = Omit<ImageInfo, 'usedBy'> & { tag: string };
interface StoreIndex {
  images: Record<string, StoredImage>;
}

export interface RegistrySettings {
  defaultRegistry: string;
  insecure: string[];
}

export class ImageStore {
  readonly root: string;
  readonly layout: string;
  private indexFile: string;

  constructor(private engine: EngineContext) {
    this.root = dirs.images(engine.paths);
    this.layout = join(this.root, 'oci');
    this.indexFile = join(this.root, 'index.json');
  }

  /** NOVA_REGISTRY (default docker.io) and NOVA_INSECURE_REGISTRIES, or <config>/registries.json. */
  async registries(): Promise<RegistrySettings> {
    const file = await readJson<Partial<RegistrySettings>>(join(this.engine.paths.config, 'registries.json'), {});
    const env = this.engine.env;
    return {
      defaultRegistry: env.NOVA_REGISTRY || file.defaultRegistry || 'docker.io',
      insecure: [...(env.NOVA_INSECURE_REGISTRIES?.split(',').filter(Boolean) ?? []), ...(file.insecure ?? [])],
    };
  }

  async parse(ref: string): Promise<ImageRef> {
    try {
      return parseImageRef(ref, (await this.registries()).defaultRegistry);
    } catch (e) {
      throw new NovaError('INVALID_INPUT', `image: ${(e as Error).message}`, { field: 'ref' });
    }
  }

  rootfsOf(img: StoredImage): string {
    return join(this.root, 'rootfs', img.digest.replace(':', '-'));
  }

  private lock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(lockPath(this.engine.paths, 'image', 'store'), fn, { holder: 'image store', timeoutMs: 300_000 });
  }

  private readIndex(): Promise<StoreIndex> {
    return readJson<StoreIndex>(this.indexFile, { images: {} });
  }

  async list(): Promise<StoredImage[]> {
    return Object.values((await this.readIndex()).images).sort((a, b) => a.ref.localeCompare(b.ref));
  }

  /** A stored image by user reference ("busybox", full ref or digest prefix), or undefined. */
  async find(ref: string): Promise<StoredImage | undefined> {
    const images = (await this.readIndex()).images;
    if (images[ref]) return images[ref];
    if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) {
      const hex = ref.replace('sha256:', '');
      const hit = Object.values(images).find((i) => i.digest.slice(7).startsWith(hex));
      if (hit) return hit;
    }
    return images[(await this.parse(ref)).full];
  }

  async get(ref: string): Promise<StoredImage> {
    const img = await this.find(ref);
    if (!img) throw new NovaError('NOT_FOUND', `image "${ref}" is not in the local store: run \`nova image pull ${ref}\` or \`nova image ls\``, { ref });
    return img;
  }

  private async ensureLayout(): Promise<void> {
    if (!(await layoutExists(this.layout))) await this.engine.runner.run(['umoci', 'init', '--layout', this.layout]);
  }

  /** Reads the tagged image back, unpacks its rootfs once per digest, and records it. */
  private async record(full: string, tag: string, source: 'pull' | 'import'): Promise<StoredImage> {
    const img = await readLayoutImage(this.layout, tag);
    if (!img) throw new NovaError('INTERNAL', `image ${full} is missing from ${this.layout} after ${source}`);
    const stored: StoredImage = { ref: full, tag, digest: img.digest, source, sizeBytes: img.sizeBytes, layers: img.layers, createdAt: this.engine.clock.now(), config: img.config };
    const rootfs = this.rootfsOf(stored);
    if (!(await stat(rootfs).catch(() => undefined))) {
      const tmp = `${rootfs}.unpacking`;
      await removeTree(this.engine, tmp);
      await mkdir(join(this.root, 'rootfs'), { recursive: true });
      // For an ordinary user, as root of their user namespace: owners land on their subordinate ids.
      const unpack = await asNamespaceRoot(this.engine, ['umoci', 'raw', 'unpack', '--image', `${this.layout}:${tag}`, tmp]);
      await this.engine.runner.run(unpack, { timeoutMs: 600_000 }).catch(async (e: unknown) => {
        await removeTree(this.engine, tmp).catch(() => undefined);
        throw e;
      });
      await this.engine.runner.run(['mv', '-T', tmp, rootfs]);
    }
    const index = await this.readIndex();
    index.images[full] = stored;
    await writeJsonAtomic(this.indexFile, index);
    return stored;
  }

  async pull(ref: string, opts: { insecure?: boolean } = {}): Promise<StoredImage> {
    const parsed = await this.parse(ref);
    const settings = await this.registries();
    const insecure = opts.insecure ?? (settings.insecure.includes(parsed.registry) || isLoopbackRegistry(parsed.registry));
    return this.engine.tasks.run(`pull ${parsed.full}`, async (task) =>
      this.lock(async () => {
        await this.ensureLayout();
        const tag = layoutTag(parsed.full);
        await skopeoCopy(this.engine, { src: `docker://${parsed.full}`, dest: `oci:${this.layout}:${tag}`, insecure, ref: parsed.full, task });
        task.progress(0.95, 'unpacking');
        return this.record(parsed.full, tag, 'pull');
      }).catch((e: unknown) => this.forget(parsed.full, layoutTag(parsed.full), e)),
    );
  }

  /** A root filesystem (directory or tarball, any compression tar knows) becomes an image. */
  async import(source: string, name: string, baseDir: string, cmd?: string[]): Promise<StoredImage> {
    const parsed = await this.parse(name);
    const src = isAbsolute(source) ? source : resolve(baseDir, source);
    const st = await stat(src).catch(() => undefined);
    if (!st) throw new NovaError('INVALID_INPUT', `source: ${src} does not exist; give a rootfs directory or a tarball`, { field: 'source' });
    return this.engine.tasks.run(`import ${parsed.full}`, async (task) =>
      this.lock(async () => {
        await this.ensureLayout();
        const tag = layoutTag(parsed.full);
        const image = `${this.layout}:${tag}`;
        let dir = src;
        let tmp: string | undefined;
        try {
          if (!st.isDirectory()) {
            task.progress(0.1, 'extracting tarball');
            tmp = await mkdtemp(join(this.root, '.import-'));
            await this.engine.runner.run(await asNamespaceRoot(this.engine, ['tar', '-xpf', src, '-C', tmp, '--numeric-owner', '--xattrs', '--xattrs-include=*']), { timeoutMs: 600_000 });
            dir = tmp;
          }
          task.progress(0.3, 'creating layer');
          await this.engine.runner.run(['umoci', 'rm', '--image', image], { allowFailure: true });
          await this.engine.runner.run(['umoci', 'new', '--image', image]);
          await this.engine.runner.run(await asNamespaceRoot(this.engine, ['umoci', 'insert', '--image', image, dir, '/']), { timeoutMs: 600_000 });
          if (cmd?.length) await this.engine.runner.run(['umoci', 'config', '--image', image, ...cmd.flatMap((c) => ['--config.cmd', c])]);
        } finally {
          if (tmp) await removeTree(this.engine, tmp);
        }
        task.progress(0.8, 'unpacking');
        return this.record(parsed.full, tag, 'import');
      }).catch((e: unknown) => this.forget(parsed.full, layoutTag(parsed.full), e)),
    );
  }

  /**
   * After a failed pull or import: the layout must not keep a tag Nova's index does not list
   * (it would be invisible to `image ls` yet hold its blobs). Rethrows the original error.
   */
  private async forget(full: string, tag: string, e: unknown): Promise<never> {
    await this.lock(async () => {
      if ((await this.readIndex()).images[full]) return; // an earlier good copy stays usable
      await this.engine.runner.run(['umoci', 'rm', '--image', `${this.layout}:${tag}`], { allowFailure: true });
      await this.engine.runner.run(['umoci', 'gc', '--layout', this.layout], { allowFailure: true });
    }).catch(() => undefined);
    throw e;
  }

  async remove(ref: string): Promise<StoredImage> {
    return this.lock(async () => {
      const img = await this.get(ref);
      const index = await this.readIndex();
      delete index.images[img.ref];
      await writeJsonAtomic(this.indexFile, index);
      await this.engine.runner.run(['umoci', 'rm', '--image', `${this.layout}:${img.tag}`], { allowFailure: true });
      await this.engine.runner.run(['umoci', 'gc', '--layout', this.layout], { allowFailure: true });
      if (!Object.values(index.images).some((i) => i.digest === img.digest)) await removeTree(this.engine, this.rootfsOf(img));
      return img;
    });
  }
}
