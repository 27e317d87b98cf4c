// The shapes the planner works on: what the NovaFile declares and what the host shows. Pure data,
// so plan/order are plain functions that tests drive without a host.
import type { PlanKind } from '../../shared/contract/novafile-apply.js';
import { CLUSTER_ITEM_KEYS } from '../../shared/schemas/novafile.js';
import type { ContainerSpec, NetworkSpec, NovaFile, VmSpec } from '../../shared/schemas/novafile.js';

export type WorkloadKind = 'vm' | 'capsule' | 'network';

export interface DeclaredItem {
  kind: WorkloadKind;
  name: string;
  /** The NovaFile section it came from ("container" for capsules). */
  section: 'vm' | 'container' | 'network';
  spec: VmSpec | ContainerSpec | NetworkSpec;
  /** Ids ("network/lan", "image/alpine:3") this item needs first. */
  needs: string[];
}

export interface Declared {
  project: string;
  items: DeclaredItem[];
  /** Capsule image refs that are pulled before capsules (by ref). */
  images: string[];
}

export interface ObservedItem {
  kind: WorkloadKind;
  name: string;
  project?: string;
  /** The normalized spec the backend stored (absent when the backend could not say). */
  spec?: unknown;
  state: string;
  reason?: string;
}

export interface Observed {
  /** By id ("vm/web"): project rows plus every declared name that exists on the host. */
  items: Map<string, ObservedItem>;
  /** Image refs present locally; undefined when no image backend can say (capsule.create pulls). */
  images?: Set<string>;
}

export interface Verdict {
  ok: boolean;
  reason: string;
  fix?: string;
}

/** What the host can and cannot do, asked once per plan (GPUs, overlay drivers, files). */
export interface HostFacts {
  /** Per VM that wants a GPU: can one be passed through? */
  gpu: Record<string, Verdict>;
  overlay: Record<'vxlan' | 'quic' | 'wireguard', Verdict>;
  /** Declared paths (NovaFile path → absolute) that do not exist. */
  missingFiles: { path: string; file: string }[];
}

/** Last applied state of the project (state file): ids it created, and whether `up` finished. */
export interface AppliedState {
  project: string;
  items: Record<string, { appliedAt: number; spec?: unknown }>;
  /** Set while an `up` runs; still set on the next run means it was killed. */
  running?: { pid: number; startedAt: number };
}

export const idOf = (kind: PlanKind, name: string): string => `${kind}/${name}`;
export const splitId = (id: string): { kind: PlanKind; name: string } => {
  const i = id.indexOf('/');
  return { kind: id.slice(0, i) as PlanKind, name: id.slice(i + 1) };
};

/** Image refs that name a registry image (not a local path or a rootfs directory). */
export const isPullableRef = (ref: string): boolean => !ref.startsWith('/') && !ref.startsWith('.') && !ref.includes('://');

/** NovaFile → items with their dependencies. The project defaults to the folder's name. */
export function declare(nf: NovaFile, fallbackProject: string, opts: { trackImages: boolean }): Declared {
  const items: DeclaredItem[] = [];
  const images = new Set<string>();
  for (const [name, spec] of Object.entries(nf.network)) items.push({ kind: 'network', name, section: 'network', spec, needs: [] });
  for (const [name, full] of Object.entries(nf.vm)) {
    const spec = withoutClusterKeys(full);
    const nets = spec.nics ? spec.nics.map((n) => n.network) : spec.network ? [spec.network] : [];
    const needs = nets.filter((n) => n !== 'user' && nf.network[n]).map((n) => idOf('network', n));
    items.push({ kind: 'vm', name, section: 'vm', spec, needs });
  }
  for (const [name, full] of Object.entries(nf.container)) {
    const spec = withoutClusterKeys(full);
    const needs = spec.network && nf.network[spec.network] ? [idOf('network', spec.network)] : [];
    if (opts.trackImages && isPullableRef(spec.capsule)) {
      images.add(spec.capsule);
      needs.push(idOf('image', spec.capsule));
    }
    items.push({ kind: 'capsule', name, section: 'container', spec, needs });
  }
  return { project: nf.project ?? projectFromDir(fallbackProject), items, images: [...images] };
}

/** A spec without host / ha / placement: only `--cluster` reads them, backends never see them. */
export function withoutClusterKeys<T extends object>(spec: T): T {
  const out = { ...spec } as Record<string, unknown>;
  for (const k of CLUSTER_ITEM_KEYS) delete out[k];
  return out as T;
}

/** "My Lab!" → "my-lab": a folder name usable as a project label. */
export function projectFromDir(dir: string): string {
  const base = dir.split('/').filter(Boolean).pop() ?? 'default';
  const clean = base.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|[-]+$/g, '').slice(0, 63);
  return clean || 'default';
}
