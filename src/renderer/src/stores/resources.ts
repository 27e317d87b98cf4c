import { create } from 'zustand';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { debounce } from '../lib/debounce';
import { latestLoader } from '../lib/latest';
import { call } from '../lib/rpc';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface ResourceStore {
  items: ResourceSummary[];
  status: LoadStatus;
  error?: string;
  fetchedAt?: number;
  fetch(): Promise<void>;
  /** Debounced fetch for event bursts (a VM start emits several state changes). */
  refetch(): void;
  /** A list read before the store's own first fetch answered (the boot script's, main.tsx); ignored once one has. */
  seed(items: ResourceSummary[]): void;
  /** Applies a state event at once so the list feels live before the refetch lands. */
  patch(kind: ResourceSummary['kind'], name: string, state: string, reason?: string): void;
}

export const REFETCH_MS = 300;

export const useResources = create<ResourceStore>((set, get) => {
  const { fetch, invalidate } = latestLoader(() => call('resource.list', {}), {
    start: () => get().status === 'idle' && set({ status: 'loading' }),
    done: (out) => set({ items: out.items, status: 'ready', error: undefined, fetchedAt: Date.now() }),
    failed: (error) => set({ status: 'error', error }),
  });
  return {
    items: [],
    status: 'idle',
    fetch,
    refetch: debounce(() => void fetch(), REFETCH_MS),
    seed: (items) => {
      if (get().status !== 'ready') set({ items, status: 'ready', error: undefined, fetchedAt: Date.now() });
    },
    patch: (kind, name, state, reason) => {
      // A list fetched before this event would paint the older state back over it.
      invalidate();
      set({
        items: get().items.map((r) => {
          if (r.kind !== kind || r.name !== name) return r;
          const { reason: _old, ...rest } = r; // a new state without a reason has none ("starting" had one)
          return { ...rest, state, ...(reason ? { reason } : {}) };
        }),
      });
    },
  };
});

export const byKind = (items: ResourceSummary[], kind: ResourceSummary['kind']): ResourceSummary[] => items.filter((r) => r.kind === kind);
