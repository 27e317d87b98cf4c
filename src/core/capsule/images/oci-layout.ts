import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

// Reads what we need from an OCI image layout (index → manifest → config) without a tool.

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface LayoutImage {
  digest: string;
  sizeBytes: number;
  layers: number;
  config: { cmd?: string[]; entrypoint?: string[]; env?: string[]; workdir?: string; user?: string };
}

const blobPath = (layout: string, digest: string) => join(layout, 'blobs', ...digest.split(':'));

async function readBlobJson<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse(await readFile(blobPath(layout, digest), 'utf8')) as T;
}

export async function layoutExists(layout: string): Promise<boolean> {
  return stat(join(layout, 'oci-layout')).then(
    () => true,
    () => false,
  );
}

/** The image tagged `tag` in the layout, or undefined. */
export async function readLayoutImage(layout: string, tag: string): Promise<LayoutImage | undefined> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8').catch(() => '{"manifests":[]}')) as { manifests: Descriptor[] };
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!desc) return undefined;
  const manifest = await readBlobJson<{ config: Descriptor; layers: Descriptor[] }>(layout, desc.digest);
  const cfg = await readBlobJson<{ config?: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string; User?: string } }>(
    layout,
    manifest.config.digest,
  );
  const c = cfg.config ?? {};
  return {
    digest: desc.digest,
    sizeBytes: manifest.layers.reduce((n, l) => n + l.size, manifest.config.size),
    layers: manifest.layers.length,
    config: {
      ...(c.Cmd ? { cmd: c.Cmd } : {}),
      ...(c.Entrypoint ? { entrypoint: c.Entrypoint } : {}),
      ...(c.Env ? { env: c.Env } : {}),
      ...(c.WorkingDir ? { workdir: c.WorkingDir } : {}),
      ...(c.User ? { user: c.User } : {}),
    },
  };
}
