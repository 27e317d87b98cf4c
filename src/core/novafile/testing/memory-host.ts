// An in-memory stand-in for the VM/capsule/network backends, speaking the cross-area contract's
// procedure names. Used only to unit-test the planner/executor logic (ordering, reverts, locks)
// in milliseconds; the integration test drives the real backends.
import { NovaError } from '../../../shared/errors.js';
import { redact } from '../../../shared/redact.js';
import type { Backends, Call } from '../backend.js';

export interface MemResource {
  kind: 'vm' | 'capsule' | 'network';
  name: string;
  project?: string;
  spec: unknown;
  state: string;
}

export interface MemHost extends Backends {
  resources: Map<string, MemResource>;
  calls: string[];
  /** Throw from this "method name" (e.g. "capsule.start api") once or always. */
  failOn: Map<string, NovaError>;
  delayMs: number;
  maxConcurrent: number;
}

const KIND_OF: Record<string, MemResource['kind']> = { vm: 'vm', capsule: 'capsule', network: 'network' };

/** Like the capsule backend: env values come back redacted unless `secrets: true`. */
const view = (r: MemResource, secrets: boolean) => {
  const spec = r.kind === 'capsule' && !secrets ? redact(r.spec) : r.spec;
  return { name: r.name, spec, state: r.state, ...(r.project ? { project: r.project } : {}) };
};

export function memoryHost(opts: { delayMs?: number; images?: string[] } = {}): MemHost {
  const resources = new Map<string, MemResource>();
  const images = new Set(opts.images ?? []);
  let running = 0;
  const host: MemHost = {
    resources,
    calls: [],
    failOn: new Map(),
    delayMs: opts.delayMs ?? 0,
    maxConcurrent: 0,
    // A stand-in answers the subset of the contract the planner uses, loosely typed on purpose.
    call: (async (method: string, input: unknown): Promise<unknown> => {
      const i = (input ?? {}) as { name?: string; spec?: unknown; project?: string; ref?: string };
      host.calls.push(`${method} ${i.name ?? i.ref ?? ''}`.trim());
      running++;
      host.maxConcurrent = Math.max(host.maxConcurrent, running);
      try {
        if (host.delayMs && !method.endsWith('.inspect') && method !== 'resource.list') await new Promise((r) => setTimeout(r, host.delayMs));
        const fail = host.failOn.get(`${method} ${i.name ?? i.ref ?? ''}`.trim());
        if (fail) throw fail;
        if (method === 'resource.list') {
          const p = (input as { project?: string }).project;
          return { items: [...resources.values()].filter((r) => !p || r.project === p).map((r) => ({ kind: r.kind, name: r.name, state: r.state, ...(r.project ? { project: r.project } : {}) })) };
        }
        // The stand-in host runs plain VXLAN only, as a host without tunnel tools would.
        if (method === 'network.drivers') {
          const missing = { ok: false, reason: 'not on this in-memory host' };
          return { drivers: { vxlan: { ok: true, mode: 'kernel', reason: 'in-memory host' }, quic: missing, wireguard: missing } };
        }
        if (method === 'image.list') return { items: [...images].map((ref) => ({ ref })) };
        if (method === 'image.inspect') {
          if (!images.has(i.ref!)) throw new NovaError('NOT_FOUND', `image ${i.ref} is not in the store`);
          return { ref: i.ref };
        }
        if (method === 'image.pull') {
          images.add(i.ref!);
          return { ref: i.ref };
        }
        const [noun, verb] = method.split('.') as [string, string];
        if (verb === 'list') {
          const p = (input as { project?: string }).project;
          return { items: [...resources.values()].filter((r) => r.kind === KIND_OF[noun] && (!p || r.project === p)).map((r) => view(r, false)) };
        }
        const kind = KIND_OF[noun]!;
        const key = `${kind}/${i.name}`;
        const r = resources.get(key);
        const need = () => {
          if (!r) throw new NovaError('NOT_FOUND', `${kind} ${i.name} does not exist`);
          return r;
        };
        switch (verb) {
          case 'create':
            if (r) throw new NovaError('CONFLICT', `${kind} ${i.name} exists`);
            resources.set(key, { kind, name: i.name!, spec: JSON.parse(JSON.stringify(i.spec)), state: kind === 'network' ? 'Active' : 'stopped', ...(i.project ? { project: i.project } : {}) });
            return { name: i.name };
          case 'inspect':
            return view(need(), Boolean((input as { secrets?: boolean }).secrets));
          case 'start':
            need().state = 'running';
            return { name: i.name };
          case 'stop':
            need().state = 'stopped';
            return { name: i.name };
          case 'resume':
            if (need().state !== 'paused') throw new NovaError('CONFLICT', `${kind} ${i.name} is not paused`);
            need().state = 'running';
            return { name: i.name };
          case 'update':
            if (kind === 'vm' && need().state === 'running') throw new NovaError('CONFLICT', `vm ${i.name} is running: stop it first`);
            need().spec = JSON.parse(JSON.stringify(i.spec));
            return { name: i.name };
          case 'delete':
          case 'rm':
            need();
            resources.delete(key);
            return { name: i.name };
        }
        throw new NovaError('NOT_FOUND', `unknown method ${method}`);
      } finally {
        running--;
      }
    }) as Call,
  };
  return host;
}
