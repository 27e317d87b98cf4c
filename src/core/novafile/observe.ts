// What the host shows for a project: `<kind>.list {project}` plus an inspect where needed (its
// stored spec and derived state), and which capsule images are present.
import { NovaError } from '../../shared/errors.js';
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

const LIST = { vm: 'vm.list', capsule: 'capsule.list', network: 'network.list' } as const satisfies Record<WorkloadKind, string>;

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

/** Which declared capsule images are in the local store (undefined when none is declared). */
async function presentImages(b: Backends, declared: Declared, wanted: boolean): Promise<Set<string> | undefined> {
  if (!wanted) return undefined;
  // The backend resolves short refs ("busybox" → its default registry), so ask per ref.
  const found = await Promise.all(declared.images.map((ref) => b.call('image.inspect', { ref }).then(() => ref, (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)))));
  return new Set(found.filter((r): r is string => r !== undefined));
}

/**
 * One `<kind>.list {project}` per kind (spec and derived state in one call), then an inspect only
 * for declared names the project does not own (absent → NOT_FOUND, or a conflict) and for
 * capsules whose listed env is redacted (the planner compares real values; it never prints them).
 */
export async function observe(b: Backends, declared: Declared, opts: { images: boolean; recorded?: readonly string[] }): Promise<Observed> {
  const items = new Map<string, ObservedItem>();
  const imagesPromise = presentImages(b, declared, opts.images);
  imagesPromise.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  const kinds: WorkloadKind[] = ['network', 'vm', 'capsule'];
  // An ordinary user lists switches through the privileged helper. A project that neither
  // declares nor ever made a network (only capsules and VMs) must not need the helper for that.
  const needsNetworks = declared.items.some((i) => i.kind === 'network') || (opts.recorded ?? []).some((id) => id.startsWith('network/'));
  const list = (kind: WorkloadKind) =>
    b.call(LIST[kind], { project: declared.project }).catch((e: unknown) => {
      if (kind === 'network' && !needsNetworks && (e as NovaError).code === 'PERMISSION') return { items: [] };
      throw e;
    });
  await Promise.all(
    kinds.map(async (kind) => {
      const out = (await list(kind)) as { items: (InspectOut & { name: string })[] };
      for (const o of out.items) items.set(idOf(kind, o.name), toObserved(kind, o.name, o));
    }),
  );

  const toInspect = new Map<string, { kind: WorkloadKind; name: string; secrets?: boolean }>();
  for (const i of declared.items) {
    const id = idOf(i.kind, i.name);
    const have = items.get(id);
    if (!have) toInspect.set(id, { kind: i.kind, name: i.name });
    else if (i.kind === 'capsule' && hasRedactedEnv(have.spec)) toInspect.set(id, { kind: i.kind, name: i.name, secrets: true });
  }

  await Promise.all(
    [...toInspect.entries()].map(async ([id, w]) => {
      try {
        // Capsules redact env values unless asked: the planner must compare the real ones.
        const o = (await b.call(PROC[w.kind].inspect, w.kind === 'capsule' ? { name: w.name, secrets: true } : { name: w.name })) as InspectOut;
        items.set(id, toObserved(w.kind, w.name, o));
      } catch (e) {
        if (isNotFound(e)) return;
        throw new NovaError((e as NovaError).code ?? 'INTERNAL', `cannot inspect ${w.kind} ${w.name}: ${(e as Error).message}`);
      }
    }),
  );

  const images = await imagesPromise;
  return { items, ...(images ? { images } : {}) };
}
