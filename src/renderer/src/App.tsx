import { lazy, Suspense, useState } from 'react';
import { Sidebar } from './components/Sidebar';
import { StaleBanner } from './components/StaleBanner';
import { ErrorBoundary } from './components/ErrorBoundary';
import { StatusBar } from './components/StatusBar';
import { Toaster } from './components/Toaster';
import { useShortcuts } from './lib/useShortcuts';
import { useConfirm } from './stores/confirm';
import { usePrompt } from './stores/prompt';
import { useNav } from './stores/nav';
import { HOST_VIEWS, LOCAL, useHosts } from './stores/hosts';
import { DashboardView } from './views/DashboardView';
import { RemoteItemsView } from './views/RemoteItemsView';

// The dashboard paints first; other views (charts, topology, noVNC) load when opened.
const VmsView = lazy(() => import('./views/VmsView').then((m) => ({ default: m.VmsView })));
const CapsulesView = lazy(() => import('./views/CapsulesView').then((m) => ({ default: m.CapsulesView })));
const NetworksView = lazy(() => import('./views/NetworksView').then((m) => ({ default: m.NetworksView })));
const TopologyView = lazy(() => import('./views/TopologyView').then((m) => ({ default: m.TopologyView })));
const GpuBoard = lazy(() => import('./views/GpuBoard').then((m) => ({ default: m.GpuBoard })));
const CapturesView = lazy(() => import('./views/CapturesView').then((m) => ({ default: m.CapturesView })));
const StorageView = lazy(() => import('./views/StorageView').then((m) => ({ default: m.StorageView })));
const ProjectsView = lazy(() => import('./views/ProjectsView').then((m) => ({ default: m.ProjectsView })));
const HostsView = lazy(() => import('./views/HostsView').then((m) => ({ default: m.HostsView })));
const SettingsView = lazy(() => import('./views/SettingsView').then((m) => ({ default: m.SettingsView })));

// The two app-wide dialogs (Radix, ~35 KB with its focus and scroll helpers) load when first asked
// for, not with the first view (#24); once loaded they stay mounted.
const ConfirmDialog = lazy(() => import('./components/ConfirmDialog').then((m) => ({ default: m.ConfirmDialog })));
const PromptDialog = lazy(() => import('./components/PromptDialog').then((m) => ({ default: m.PromptDialog })));

/** True from the first time `on` is true. */
function useOnceTrue(on: boolean): boolean {
  const [was, set] = useState(false);
  if (on && !was) set(true);
  return was || on;
}

function Dialogs() {
  const confirm = useOnceTrue(useConfirm((s) => Boolean(s.request)));
  const prompt = useOnceTrue(usePrompt((s) => Boolean(s.request)));
  return (
    <Suspense fallback={null}>
      {confirm && <ConfirmDialog />}
      {prompt && <PromptDialog />}
    </Suspense>
  );
}

const VIEW_COMPONENTS = {
  dashboard: DashboardView,
  vms: VmsView,
  capsules: CapsulesView,
  networks: NetworksView,
  topology: TopologyView,
  gpus: GpuBoard,
  captures: CapturesView,
  storage: StorageView,
  projects: ProjectsView,
  settings: SettingsView,
} as const;

/** The shell: navigation, the current view, status bar, toasts and the confirmation dialog. */
export function App() {
  const view = useNav((s) => s.view);
  useShortcuts();
  // Another host chosen in the switcher: the VMs, Capsules and Networks views show that host's
  // items; the other views (and "All hosts") show the hosts view instead of this host's.
  const scope = useHosts((s) => s.scope);
  const remoteKind = scope !== LOCAL && scope !== 'all' ? HOST_VIEWS[view] : undefined;
  const View = scope === LOCAL ? VIEW_COMPONENTS[view] : HostsView;
  return (
    <div className="app">
      <Sidebar />
      <div className="main-column">
        <StaleBanner />
        <main className="view" data-testid={`view-${view}`}>
          <ErrorBoundary key={`${view}-${scope}`} what="This view">
            <Suspense fallback={<p className="muted">Loading view…</p>}>
              {remoteKind ? <RemoteItemsView key={scope} host={scope} kind={remoteKind} /> : <View />}
            </Suspense>
          </ErrorBoundary>
        </main>
        <StatusBar />
      </div>
      <Toaster />
      <Dialogs />
    </div>
  );
}
