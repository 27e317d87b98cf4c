// The planner drives the VM, capsule and network backends only through dispatcher procedures
// (the cross-area contract), so a test can stand in an in-memory host (testing/memory-host.ts).
import type { EngineContext } from '../context.js';
import type { Input, Method, Output } from '../../shared/contract.js';
import { NovaError } from '../../shared/errors.js';

/** Another area's procedure, typed by the contract (EngineContext.call, or an in-memory host in tests). */
export type Call = <M extends Method>(method: M, input: Input<M>, signal?: AbortSignal) => Promise<Output<M>>;

export interface Backends {
  call: Call;
}

export function dispatcherBackends(ctx: Pick<EngineContext, 'call'>): Backends {
  return { call: (method, input, signal) => ctx.call(method, input, signal ? { signal } : {}) };
}

export const isNotFound = (e: unknown): boolean => e instanceof NovaError && e.code === 'NOT_FOUND';

/** Procedure names per kind, as the cross-area contract spells them. */
export const PROC = {
  vm: { create: 'vm.create', inspect: 'vm.inspect', start: 'vm.start', stop: 'vm.stop', remove: 'vm.delete', update: 'vm.update' },
  capsule: { create: 'capsule.create', inspect: 'capsule.inspect', start: 'capsule.start', stop: 'capsule.stop', remove: 'capsule.rm', update: 'capsule.update' },
  network: { create: 'network.create', inspect: 'network.inspect', start: undefined, stop: undefined, remove: 'network.rm', update: 'network.update' },
} as const;
