// The planner drives the VM, capsule and network backends only through dispatcher procedures
// (the cross-area contract), so a test can stand in an in-memory host (testing/memory-host.ts).
import type { Dispatcher } from '../rpc/dispatcher.js';
import { NovaError } from '../../shared/errors.js';

export type Call = (method: string, input: unknown, signal?: AbortSignal) => Promise<unknown>;

export interface Backends {
  call: Call;
}

export function dispatcherBackends(d: Dispatcher): Backends {
  return {
    call: async (method, input, signal) => {
      const r = await d.call(method, input, { transport: 'inproc', ...(signal ? { signal } : {}) });
      if (!r.ok) throw NovaError.from(r.error);
      return r.value;
    },
  };
}

export const isNotFound = (e: unknown): boolean => e instanceof NovaError && e.code === 'NOT_FOUND';

/** Procedure names per kind, as the cross-area contract spells them. */
export const PROC = {
  vm: { create: 'vm.create', inspect: 'vm.inspect', start: 'vm.start', stop: 'vm.stop', remove: 'vm.delete', update: 'vm.update' },
  capsule: { create: 'capsule.create', inspect: 'capsule.inspect', start: 'capsule.start', stop: 'capsule.stop', remove: 'capsule.rm', update: 'capsule.update' },
  network: { create: 'network.create', inspect: 'network.inspect', start: undefined, stop: undefined, remove: 'network.rm', update: 'network.update' },
} as const;
