import { create } from 'zustand';
import type { PrefKey, Prefs } from '../../../shared/contract/prefs.js';
import { call, errorText } from '../lib/rpc';
import { applyTheme, isTheme } from '../theme/themes';
import { toast } from './toasts';

interface PrefsStore {
  prefs?: Prefs;
  error?: string;
  load(): Promise<void>;
  /** Optimistic: the UI changes at once; on failure it rolls back and says why. */
  set<K extends PrefKey>(key: K, value: Prefs[K]): Promise<void>;
  receive(p: Prefs): void;
}

export const usePrefs = create<PrefsStore>((set, get) => ({
  load: async () => {
    try {
      get().receive(await call('prefs.get', {}));
    } catch (e) {
      set({ error: errorText(e) });
    }
  },
  receive: (p) => {
    set({ prefs: p, error: undefined });
    if (isTheme(p.theme)) applyTheme(p.theme);
  },
  set: async (key, value) => {
    const before = get().prefs;
    if (before) get().receive({ ...before, [key]: value });
    try {
      get().receive(await call('prefs.set', { key, value }));
    } catch (e) {
      if (before) get().receive(before);
      toast('error', `Could not save ${key}`, errorText(e));
    }
  },
}));
