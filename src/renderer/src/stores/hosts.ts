import { create } from 'zustand';
import type { RemoteHost } from '../../../shared/contract/hosts.js';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { debounce } from '../lib/debounce';
import type { ViewId } from './nav';
import { call, errorText, on } from '../lib/rpc';

// Every host this app drives: this one and the remote Nova hosts added with `nova host add`.
// Each host is probed on its own, so one that does not answer (up to its SSH deadline) never
// holds back the others or the rest of the UI. Nothing polls: the engine keeps a connection to
// every host while the window is open and pushes each host's state events (`host.event`) and its
// drops and returns (`host.state`); a host's list is re-read when one of its events comes.

export const LOCAL = 'local';
/** What the switcher shows: this host only (the usual views), every host, or one remote host. */
export type HostScope = typeof LOCAL | 'all' | string;

export type RemoteKind = 'vm' | 'capsule' | 'network';
/** The views that follow the host switcher (views/RemoteItemsView); the others show the hosts view for another host. */
export const HOST_VIEWS: Partial<Record<ViewId, RemoteKind>> = { vms: 'vm', capsules: 'capsule', networks: 'network' };

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
  /** Follows the engine's host.event/host.state; returns the unsubscribe. */
  watch(): () => void;
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

/** Events of one host in a burst (a VM start emits several) cause one re-read of its list. */
export const HOST_REFETCH_MS = 300;

export const useHosts = create<HostsStore>((set, get) => {
  const update = (name: string, patch: Partial<HostState>) =>
    set((s) => ({ hosts: { ...s.hosts, [name]: { ...(s.hosts[name] ?? { name, status: 'loading', items: [] }), ...patch, checkedAt: Date.now() } } }));
  const probe = (name: string) =>
    (name === LOCAL ? probeLocal() : probeRemote(name)).then(
      (patch) => update(name, patch),
      (e: unknown) => update(name, { status: 'unreachable', error: errorText(e), items: [] }),
    );
  const refetch = new Map<string, () => void>();
  const refetchOf = (name: string) => {
    let f = refetch.get(name);
    if (!f) refetch.set(name, (f = debounce(() => void probe(name), HOST_REFETCH_MS)));
    return f;
  };
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
        // Not awaited together: each host's answer shows as soon as it comes. This host's own list
        // only matters to the views of other scopes (choosing one refreshes again): with "This
        // host" chosen, the usual views read it from the resources store (#24: no second
        // resource.list during the cold start).
        await Promise.allSettled([...(get().scope === LOCAL ? [] : [LOCAL]), ...names].map(probe));
      } catch (e) {
        set({ error: errorText(e) });
      }
    },
    watch: () => {
      const offs = [
        on('host.event', (e) => {
          const known = get().hosts[e.host];
          if (!get().names.includes(e.host)) return void get().refresh();
          // A state event paints at once; the list itself is re-read (debounced).
          const p = e.payload as { name?: string; state?: string; reason?: string };
          const kind = { 'vm.state': 'vm', 'capsule.state': 'capsule', 'network.state': 'network' }[e.event];
          if (known && kind && p.name && p.state) {
            update(e.host, { items: known.items.map((r) => (r.kind === kind && r.name === p.name ? { ...r, state: p.state!, ...(p.reason ? { reason: p.reason } : {}) } : r)) });
          }
          refetchOf(e.host)();
        }),
        on('host.state', (e) => {
          if (!get().names.includes(e.host)) return void get().refresh();
          if (e.reachable) void probe(e.host);
          else update(e.host, { status: 'unreachable', error: e.error ?? 'not reachable', items: [] });
        }),
      ];
      return () => offs.forEach((off) => off());
    },
  };
});
