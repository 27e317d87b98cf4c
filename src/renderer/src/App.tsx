import { useEffect } from 'react';
import { ConfirmDialog } from './components/ConfirmDialog';
import { PromptDialog } from './components/PromptDialog';
import { Sidebar } from './components/Sidebar';
import { StaleBanner } from './components/StaleBanner';
import { StatusBar } from './components/StatusBar';
import { Toaster } from './components/Toaster';
import { wireEvents } from './lib/wire';
import { useShortcuts } from './lib/useShortcuts';
import { useNav } from './stores/nav';
import { CapsulesView } from './views/CapsulesView';
import { CapturesView } from './views/CapturesView';
import { DashboardView } from './views/DashboardView';
import { GpuBoard } from './views/GpuBoard';
import { NetworksView } from './views/NetworksView';
import { SettingsView } from './views/SettingsView';
import { TopologyView } from './views/TopologyView';
import { VmsView } from './views/VmsView';

const VIEW_COMPONENTS = {
  dashboard: DashboardView,
  vms: VmsView,
  capsules: CapsulesView,
  networks: NetworksView,
  topology: TopologyView,
  gpus: GpuBoard,
  captures: CapturesView,
  settings: SettingsView,
} as const;

/** The shell: navigation, the current view, status bar, toasts and the confirmation dialog. */
export function App() {
  const view = useNav((s) => s.view);
  useEffect(() => wireEvents(), []);
  useShortcuts();
  const View = VIEW_COMPONENTS[view];
  return (
    <div className="app">
      <Sidebar />
      <div className="main-column">
        <StaleBanner />
        <main className="view" data-testid={`view-${view}`}>
          <View />
        </main>
        <StatusBar />
      </div>
      <Toaster />
      <ConfirmDialog />
      <PromptDialog />
    </div>
  );
}
