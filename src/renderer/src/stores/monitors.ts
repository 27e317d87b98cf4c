import { create } from 'zustand';
import type { Prefs } from '../../../shared/contract/prefs.js';
import { debounce } from '../lib/debounce';
import { call, errorText } from '../lib/rpc';
import { usePrefs } from './prefs';
import { toast } from './toasts';

export type MonitorSettings = Prefs['monitoring'][string];
export const DEFAULT_MONITOR: MonitorSettings = { pollSeconds: 5, offlineThreshold: 3, notify: true };

/** One row of `network.monitor.list`. */
export interface InterfaceStatus {
  interface: string;
  settings: MonitorSettings;
  online: boolean;
  since?: number;
  rxRate?: number;
  txRate?: number;
}

interface MonitorStore {
  items: InterfaceStatus[];
  error?: string;
  fetch(): Promise<void>;
  refetch(): void;
  /** Saves to the engine's monitor (what polls) and to prefs (what the UI mutes by). */
  save(iface: string, settings: MonitorSettings): Promise<void>;
  remove(iface: string): Promise<void>;
}

const LIST = 'network.monitor.list';
const SET = 'network.monitor.set';

export const useMonitors = create<MonitorStore>((set, get) => {
  const fetch = async () => {
    try {
      const out = await call(LIST, {});
      set({ items: out.items, error: undefined });
    } catch (e) {
      set({ error: errorText(e) });
    }
  };
  const savePrefs = async (iface: string, settings: MonitorSettings | undefined) => {
    const monitoring = { ...(usePrefs.getState().prefs?.monitoring ?? {}) };
    if (settings) monitoring[iface] = settings;
    else delete monitoring[iface];
    await usePrefs.getState().set('monitoring', monitoring);
  };
  return {
    items: [],
    fetch,
    refetch: debounce(() => void fetch(), 300),
    save: async (iface, settings) => {
      // Optimistic: the pane shows the new settings now; the refetch confirms them.
      set({ items: get().items.map((i) => (i.interface === iface ? { ...i, settings } : i)) });
      await savePrefs(iface, settings);
      try {
        await call(SET, { interface: iface, ...settings });
        get().refetch();
      } catch (e) {
        toast('error', `Could not apply monitoring for ${iface}`, errorText(e));
      }
    },
    remove: async (iface) => {
      await savePrefs(iface, undefined);
      await call(SET, { interface: iface, remove: true }).catch((e) => toast('error', `Could not stop monitoring ${iface}`, errorText(e)));
      get().refetch();
    },
  };
});
