import { create } from 'zustand';
import type { RemoteHost } from '../../../shared/contract/hosts.js';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { call, errorText } from '../lib/rpc';

// Every host this app drives: this one and the remote Nova hosts added with `nova host add`.
// Each host is probed on its own, so one that does not answer (up to its SSH deadline) never
// holds back the others or the rest of the UI; a polled refresh brings a dropped host back.

export const LOCAL = 'local';
/** What the switcher shows: this host only (the usual views), every host, or one remote host. */
export type HostScope = typeof LOCAL | 'all' | string;

export interface HostState {
  name: string;
  status: 'loading' | 'reachable' | 'unreachable';
  error?: string;
  host?: RemoteHost;
  items: ResourceSummary[];
  checkedAt?: number;
}

interface HostsStore {
  scope: HostScope;
  names: string[];
  hosts: Record<string, HostState>;
  error?: string;
  setScope(scope: HostScope): void;
  refresh(): Promise<void>;
}

const CALL_DEADLINE_MS = 10_000;

async function probeLocal(): Promise<Partial<HostState>> {
  const r = await call('resource.list', {});
  return { status: 'reachable', items: r.items, error: undefined };
}

async function probeRemote(name: string): Promise<Partial<HostState>> {
  const [host] = (await call('host.list', { name })).items;
  if (!host?.reachable) return { status: 'unreachable', host, error: host?.error ?? 'not reachable', items: [] };
  const r = await call('host.call', { host: name, method: 'resource.list', input: {}, timeoutMs: CALL_DEADLINE_MS });
  return { status: 'reachable', host, items: (r.value as { items: ResourceSummary[] }).items, error: undefined };
}

export const useHosts = create<HostsStore>((set, get) => {
  const update = (name: string, patch: Partial<HostState>) =>
    set((s) => ({ hosts: { ...s.hosts, [name]: { ...(s.hosts[name] ?? { name, status: 'loading', items: [] }), ...patch, checkedAt: Date.now() } } }));
  const probe = (name: string) =>
    (name === LOCAL ? probeLocal() : probeRemote(name)).then(
      (patch) => update(name, patch),
      (e: unknown) => update(name, { status: 'unreachable', error: errorText(e), items: [] }),
    );
  return {
    scope: LOCAL,
    names: [],
    hosts: {},
    setScope: (scope) => {
      set({ scope });
      if (scope !== LOCAL) void get().refresh();
    },
    refresh: async () => {
      try {
        const { items } = await call('host.list', { probe: false });
        const names = items.map((h) => h.name);
        set((s) => ({ names, error: undefined, hosts: Object.fromEntries(Object.entries(s.hosts).filter(([n]) => n === LOCAL || names.includes(n))) }));
        // Not awaited together: each host's answer shows as soon as it comes.
        await Promise.allSettled([LOCAL, ...names].map(probe));
      } catch (e) {
        set({ error: errorText(e) });
      }
    },
  };
});
