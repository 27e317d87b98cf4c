import { create } from 'zustand';
import type { HostInfo } from '../../../shared/contract/host.js';
import { call, errorText } from '../lib/rpc';
import type { LoadStatus } from './resources';

interface HostStore {
  info?: HostInfo;
  status: LoadStatus;
  error?: string;
  fetch(refresh?: boolean): Promise<void>;
}

export const useHost = create<HostStore>((set) => ({
  status: 'idle',
  fetch: async (refresh) => {
    set((s) => ({ status: s.info ? s.status : 'loading' }));
    try {
      const info = await call('host.info', refresh ? { refresh: true } : {});
      set({ info, status: 'ready', error: undefined });
    } catch (e) {
      set({ status: 'error', error: errorText(e) });
    }
  },
}));
