import { useShallow } from 'zustand/react/shallow';
import { ViewHeader } from '../components/ViewHeader';
import { ErrorNotice } from '../components/ErrorNotice';
import { HostGraphs } from '../components/HostGraphs';
import { ActivityCard, HostFactsCard, HostToolsCard, ResourcesCard } from '../components/DashboardCards';
import { useHost } from '../stores/host';

/** Host facts and what runs on it; each card renders as soon as its own data arrives, and only then. */
export function DashboardView() {
  const { hostname, osName, accelerator, error, fetch } = useHost(
    useShallow((s) => ({ hostname: s.info?.hostname, osName: s.info?.os.name, accelerator: s.info?.accelerator, error: s.error, fetch: s.fetch })),
  );
  return (
    <>
      <ViewHeader title="Dashboard" subtitle={hostname ? `${hostname} · ${osName}` : 'Probing this host…'}>
        <button type="button" onClick={() => void fetch(true)}>
          Re-probe host
        </button>
      </ViewHeader>
      {error && <ErrorNotice message={`Could not read host facts: ${error}`} onRetry={() => void fetch()} />}
      {accelerator && accelerator.kind !== 'kvm' && (
        <div className="callout warn" role="note" data-testid="tcg-warning">
          <strong>{accelerator.kind.toUpperCase()}: no hardware acceleration.</strong> {accelerator.reason}
        </div>
      )}
      <section className="cards" aria-label="Host" data-testid="host-info">
        <HostFactsCard />
        <HostGraphs />
        <ResourcesCard />
        <HostToolsCard />
        <ActivityCard />
      </section>
    </>
  );
}
