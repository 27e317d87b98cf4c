import { create } from 'zustand';
import type { StorageFile, StoragePool } from '../../../shared/contract/storage.js';
import { debounce } from '../lib/debounce';
import { call, errorText } from '../lib/rpc';

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
  let seq = 0;
  const fetch = async () => {
    const mine = ++seq;
    if (get().status === 'idle') set({ status: 'loading' });
    try {
      const [p, f] = await Promise.all([call<{ pools: StoragePool[] }>('storage.pools', {}), call<{ items: StorageFile[] }>('storage.files', {})]);
      if (mine === seq) set({ pools: p.pools, files: f.items, status: 'ready', error: undefined });
    } catch (e) {
      if (mine === seq) set({ status: 'error', error: errorText(e) });
    }
  };
  return { pools: [], files: [], status: 'idle', fetch, refetch: debounce(() => void fetch(), 300) };
});

/** Where a new VM disk goes in a pool: `<pool>/<name>.qcow2`. */
export const diskPathIn = (pool: StoragePool | undefined, name: string): string => `${pool ? `${pool.path.replace(/\/$/, '')}/` : './'}${name || 'vm'}.qcow2`;
