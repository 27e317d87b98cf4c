import { create } from 'zustand';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { debounce } from '../lib/debounce';
import { call, errorText } from '../lib/rpc';

export type LoadStatus = 'idle' | 'loading' | 'ready' | 'error';

interface ResourceStore {
  items: ResourceSummary[];
  status: LoadStatus;
  error?: string;
  fetchedAt?: number;
  fetch(): Promise<void>;
  /** Debounced fetch for event bursts (a VM start emits several state changes). */
  refetch(): void;
  /** Applies a state event at once so the list feels live before the refetch lands. */
  patch(kind: ResourceSummary['kind'], name: string, state: string, reason?: string): void;
}

export const REFETCH_MS = 300;

export const useResources = create<ResourceStore>((set, get) => {
  let seq = 0;
  const fetch = async () => {
    const mine = ++seq;
    if (get().status === 'idle') set({ status: 'loading' });
    try {
      const out = await call<{ items: ResourceSummary[] }>('resource.list', {});
      if (mine !== seq) return;
      set({ items: out.items, status: 'ready', error: undefined, fetchedAt: Date.now() });
    } catch (e) {
      if (mine !== seq) return;
      set({ status: 'error', error: errorText(e) });
    }
  };
  return {
    items: [],
    status: 'idle',
    fetch,
    refetch: debounce(() => void fetch(), REFETCH_MS),
    patch: (kind, name, state, reason) => {
      // A list fetched before this event would paint the older state back over it.
      seq++;
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
