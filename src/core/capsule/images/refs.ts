// Image references as users write them ("busybox", "ubuntu:22.04", "host:5000/app:1",
// "app@sha256:…") → fully qualified references. Pure.

export interface ImageRef {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** registry/repository:tag or registry/repository@digest */
  full: string;
}

export const DEFAULT_REGISTRY = 'docker.io';

const isRegistryPart = (s: string) => s.includes('.') || s.includes(':') || s === 'localhost';

export function parseImageRef(input: string, defaultRegistry = DEFAULT_REGISTRY): ImageRef {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`"${input}": a digest looks like sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = defaultRegistry;
  if (parts.length > 1 && isRegistryPart(parts[0]!)) registry = parts.shift()!;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    throw new Error(`"${input}": repository names are lowercase letters, digits and . _ - separated by /`);
  }
  if (tag !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`"${input}": tags are letters, digits, _ . -`);
  if (!tag && !digest) tag = 'latest';
  const full = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), full };
}

/** The name of an image inside the OCI layout (skopeo's oci:PATH:REF must not hold ':' or '@'). */
export function layoutTag(full: string): string {
  return full.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}

/** Plain HTTP is only sensible to registries on this machine. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
