import { useActivity } from '../stores/activity';
import { useConnection } from '../stores/connection';
import { useHost } from '../stores/host';
import { useHosts } from '../stores/hosts';
import { useLogs } from '../stores/logs';
import { useMetrics } from '../stores/metrics';
import { usePrefs } from '../stores/prefs';
import { useResources } from '../stores/resources';
import { useStorage } from '../stores/storage';
import { useImages } from '../stores/images';
import { useTasks } from '../stores/tasks';
import { toast } from '../stores/toasts';
import { on } from './rpc';

/**
 * Feeds every store from the engine's events, once per app. Each (re)connection refetches
 * everything, so nothing shown after a drop stays stale.
 */
export function wireEvents(): () => void {
  const offs = [
    on('resource.changed', (e) => {
      if (e.state) useResources.getState().patch(e.kind, e.name, e.state, e.reason);
      useResources.getState().refetch();
      // A VM defined or deleted changes which pool files are in use.
      if (e.kind === 'vm' && useStorage.getState().status !== 'idle') useStorage.getState().refetch();
      // A capsule created or removed changes which images are in use.
      if (e.kind === 'capsule' && useImages.getState().status !== 'idle') useImages.getState().refetch();
    }),
    on('vm.state', (e) => {
      useActivity.getState().add({ at: Date.now(), kind: 'vm', name: e.name, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
      useResources.getState().patch('vm', e.name, e.state, e.reason);
      useResources.getState().refetch();
    }),
    on('capsule.state', (e) => {
      useActivity.getState().add({ at: Date.now(), kind: 'capsule', name: e.name, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
      useResources.getState().patch('capsule', e.name, e.state, e.reason);
      useResources.getState().refetch();
    }),
    on('network.state', (e) => {
      useActivity.getState().add({ at: Date.now(), kind: 'network', name: e.name, state: e.state, ...(e.reason ? { reason: e.reason } : {}) });
      useResources.getState().patch('network', e.name, e.state, e.reason);
      useResources.getState().refetch();
    }),
    on('task.progress', (t) => useTasks.getState().upsert(t)),
    on('metrics.sample', (s) => useMetrics.getState().add(s)),
    on('log.line', (l) => useLogs.getState().add(l)),
    on('prefs.changed', (p) => usePrefs.getState().receive(p)),
    on('image.changed', () => {
      if (useImages.getState().status !== 'idle') useImages.getState().refetch();
    }),
    on('storage.changed', () => {
      if (useStorage.getState().status !== 'idle') useStorage.getState().refetch();
    }),
    on('notification', (n) => {
      const prefs = usePrefs.getState().prefs;
      if (prefs && !prefs.notifications) return;
      if (n.subject && prefs?.monitoring[n.subject]?.notify === false) return;
      toast(n.level === 'warning' ? 'warning' : n.level, n.title, n.body);
    }),
  ];
  // Remote hosts' events, pushed by the engine (no polling).
  offs.push(useHosts.getState().watch());
  const refreshAll = () => {
    void useHost.getState().fetch();
    void useResources.getState().fetch();
    void useTasks.getState().load();
    void usePrefs.getState().load();
  };
  refreshAll();
  let gen = useConnection.getState().generation;
  const offConn = useConnection.subscribe((s) => {
    if (s.generation !== gen) {
      // The first open only completes the calls refreshAll() already made; later ones are reconnects.
      const first = gen === 0;
      gen = s.generation;
      if (!first) refreshAll();
    }
  });
  return () => {
    offConn();
    for (const off of offs) off();
  };
}
