// What the host shows for a project: `resource.list {project}` plus each item's inspect (its
// stored spec and derived state), and which capsule images are present.
import { NovaError } from '../../shared/errors.js';
import { RESOURCE_KINDS } from '../../shared/names.js';
import { REDACTED } from '../../shared/redact.js';
import type { Backends } from './backend.js';
import { isNotFound, PROC } from './backend.js';
import { idOf } from './model.js';
import type { Declared, Observed, ObservedItem, WorkloadKind } from './model.js';

interface InspectOut {
  name?: string;
  project?: string;
  spec?: unknown;
  state?: string;
  reason?: string;
}

const LIST: Record<WorkloadKind, string> = { vm: 'vm.list', capsule: 'capsule.list', network: 'network.list' };

const toObserved = (kind: WorkloadKind, name: string, o: InspectOut, fallbackState?: string): ObservedItem => ({
  kind,
  name,
  state: o.state ?? fallbackState ?? 'unknown',
  ...(o.project ? { project: o.project } : {}),
  ...(o.spec !== undefined ? { spec: o.spec } : {}),
  ...(o.reason ? { reason: o.reason } : {}),
});

const hasRedactedEnv = (spec: unknown): boolean =>
  Object.values(((spec as { env?: Record<string, unknown> } | undefined)?.env) ?? {}).some((v) => v === REDACTED);

/** Which declared capsule images are in the local store (undefined: no image backend to ask). */
async function presentImages(b: Backends, declared: Declared, wanted: boolean): Promise<Set<string> | undefined> {
  if (!wanted) return undefined;
  if (b.methods.has('image.inspect')) {
    // The backend resolves short refs ("busybox" → its default registry), so ask per ref.
    const found = await Promise.all(declared.images.map((ref) => b.call('image.inspect', { ref }).then(() => ref, (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)))));
    return new Set(found.filter((r): r is string => r !== undefined));
  }
  if (b.methods.has('image.list')) return imageRefs(await b.call('image.list', {}));
  return undefined;
}

/**
 * One `<kind>.list {project}` per kind (spec and derived state in one call), then an inspect only
 * for declared names the project does not own (absent → NOT_FOUND, or a conflict) and for
 * capsules whose listed env is redacted (the planner compares real values; it never prints them).
 * Kinds without a list procedure fall back to `resource.list` + inspect.
 */
export async function observe(b: Backends, declared: Declared, opts: { images: boolean }): Promise<Observed> {
  const items = new Map<string, ObservedItem>();
  const imagesPromise = presentImages(b, declared, opts.images);
  imagesPromise.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  const kinds: WorkloadKind[] = ['network', 'vm', 'capsule'];
  const listed = kinds.filter((k) => b.methods.has(LIST[k]) && b.methods.has(PROC[k].inspect));
  const unlisted = kinds.filter((k) => !listed.includes(k));

  await Promise.all(
    listed.map(async (kind) => {
      const out = (await b.call(LIST[kind], { project: declared.project })) as { items: (InspectOut & { name: string })[] };
      for (const o of out.items) items.set(idOf(kind, o.name), toObserved(kind, o.name, o));
    }),
  );

  // Rows from backends without a list procedure (and their specs through inspect).
  const rows =
    unlisted.length && b.methods.has('resource.list')
      ? ((await b.call('resource.list', { project: declared.project })) as { items: { kind: string; name: string; state: string; project?: string; reason?: string }[] }).items
      : [];
  const toInspect = new Map<string, { kind: WorkloadKind; name: string; row?: (typeof rows)[number]; secrets?: boolean }>();
  for (const r of rows) {
    if (!(RESOURCE_KINDS as readonly string[]).includes(r.kind) || listed.includes(r.kind as WorkloadKind)) continue;
    toInspect.set(idOf(r.kind as WorkloadKind, r.name), { kind: r.kind as WorkloadKind, name: r.name, row: r });
  }
  for (const i of declared.items) {
    const id = idOf(i.kind, i.name);
    const have = items.get(id);
    if (!have) toInspect.set(id, { kind: i.kind, name: i.name, ...(toInspect.get(id)?.row ? { row: toInspect.get(id)!.row } : {}) });
    else if (i.kind === 'capsule' && hasRedactedEnv(have.spec)) toInspect.set(id, { kind: i.kind, name: i.name, secrets: true });
  }

  await Promise.all(
    [...toInspect.entries()].map(async ([id, w]) => {
      const inspect = PROC[w.kind].inspect;
      if (!b.methods.has(inspect)) {
        if (w.row) items.set(id, { kind: w.kind, name: w.name, state: w.row.state, ...(w.row.project ? { project: w.row.project } : {}), ...(w.row.reason ? { reason: w.row.reason } : {}) });
        return;
      }
      try {
        // Capsules redact env values unless asked: the planner must compare the real ones.
        const o = (await b.call(inspect, w.kind === 'capsule' ? { name: w.name, secrets: true } : { name: w.name })) as InspectOut;
        items.set(id, toObserved(w.kind, w.name, o, w.row?.state));
      } catch (e) {
        if (isNotFound(e)) return;
        throw new NovaError((e as NovaError).code ?? 'INTERNAL', `cannot inspect ${w.kind} ${w.name}: ${(e as Error).message}`);
      }
    }),
  );

  const images = await imagesPromise;
  return { items, ...(images ? { images } : {}) };
}

/** Every name an image is known by (ref, name:tag, tags), tolerant of the list's exact shape. */
export function imageRefs(out: unknown): Set<string> {
  const refs = new Set<string>();
  const list = Array.isArray(out) ? out : ((out as { items?: unknown[]; images?: unknown[] })?.items ?? (out as { images?: unknown[] })?.images ?? []);
  for (const img of list as Record<string, unknown>[]) {
    for (const k of ['ref', 'name', 'reference', 'id']) if (typeof img[k] === 'string') refs.add(img[k] as string);
    for (const k of ['tags', 'refs', 'names']) if (Array.isArray(img[k])) for (const t of img[k] as unknown[]) if (typeof t === 'string') refs.add(t);
    if (typeof img.repository === 'string' && typeof img.tag === 'string') refs.add(`${img.repository}:${img.tag}`);
  }
  // "alpine" is "alpine:latest"; docker.io prefixes are optional.
  for (const r of [...refs]) {
    const short = r.replace(/^(docker\.io\/)?(library\/)?/, '');
    refs.add(short);
    if (!/:[^/]+$/.test(short) && !short.includes('@')) refs.add(`${short}:latest`);
    if (short.endsWith(':latest')) refs.add(short.slice(0, -':latest'.length));
  }
  return refs;
}
