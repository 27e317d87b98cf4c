import { create } from 'zustand';
import type { StorageFile, StoragePool } from '../../../shared/contract/storage.js';
import { debounce } from '../lib/debounce';
import { latestLoader } from '../lib/latest';
import { call } from '../lib/rpc';

interface StorageStore {
  pools: StoragePool[];
  files: StorageFile[];
  status: 'idle' | 'loading' | 'ready' | 'error';
  error?: string;
  fetch(): Promise<void>;
  /** After VM changes (a new disk, a deleted VM) and pool changes; debounced. */
  refetch(): void;
}

export const useStorage = create<StorageStore>((set, get) => {
  const load = () => Promise.all([call('storage.pools', {}), call('storage.files', {})]);
  const { fetch } = latestLoader(load, {
    start: () => get().status === 'idle' && set({ status: 'loading' }),
    done: ([p, f]) => set({ pools: p.pools, files: f.items, status: 'ready', error: undefined }),
    failed: (error) => set({ status: 'error', error }),
  });
  return { pools: [], files: [], status: 'idle', fetch, refetch: debounce(() => void fetch(), 300) };
});

/** Where a new VM disk goes in a pool: `<pool>/<name>.qcow2`. */
export const diskPathIn = (pool: StoragePool | undefined, name: string): string => `${pool ? `${pool.path.replace(/\/$/, '')}/` : './'}${name || 'vm'}.qcow2`;
