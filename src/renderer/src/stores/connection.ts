import { create } from 'zustand';
import type { ConnectionState } from '../bridge';

interface ConnectionStore {
  state: ConnectionState;
  /** Was the stream ever open? A drop after that makes everything stale. */
  everOpen: boolean;
  /** Bumped each time the stream (re)opens: stores refetch on it. */
  generation: number;
  lastChange: number;
  set(state: ConnectionState): void;
}

export const useConnection = create<ConnectionStore>((set, get) => ({
  state: 'connecting',
  everOpen: false,
  generation: 0,
  lastChange: Date.now(),
  set: (state) => {
    const prev = get();
    if (prev.state === state) return;
    set({
      state,
      everOpen: prev.everOpen || state === 'open',
      generation: state === 'open' ? prev.generation + 1 : prev.generation,
      lastChange: Date.now(),
    });
  },
}));

/** Data shown while the event stream is down may be out of date. */
export const isStale = (s: Pick<ConnectionStore, 'state' | 'everOpen'>): boolean => s.everOpen && s.state !== 'open';
