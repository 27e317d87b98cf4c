import { useEffect } from 'react';
import { ClusterHosts } from '../components/ClusterHosts';
import { StateBadge } from '../components/StateBadge';
import { TableHead } from '../components/TableHead';
import { ViewHeader } from '../components/ViewHeader';
import { bytes } from '../lib/format';
import { LOCAL, useHosts } from '../stores/hosts';
import type { HostState } from '../stores/hosts';

function HostSection({ h }: { h: HostState }) {
  const label = h.name === LOCAL ? 'This host' : h.name;
  const facts = h.host?.usage
    ? `Nova ${h.host.version ?? '?'} · ${h.host.accelerator?.toUpperCase() ?? '?'} · ${h.host.usage.cpuFree}/${h.host.usage.cpus} CPU free · ${bytes(h.host.usage.memoryAvailableBytes)} free · ${h.host.latencyMs ?? '?'} ms`
    : h.host?.url;
  return (
    <section className="card host-card" data-testid={`host-${h.name}`} data-status={h.status}>
      <div className="card-head">
        <h2>{label}</h2>
        <StateBadge state={h.status === 'loading' ? 'connecting' : h.status === 'reachable' ? 'up' : 'down'} reason={h.error} />
        {facts && <span className="muted">{facts}</span>}
      </div>
      {h.status === 'unreachable' && (
        <p className="warn" data-testid={`host-${h.name}-error`}>
          Unreachable: {h.error}
        </p>
      )}
      {h.status === 'reachable' && h.items.length === 0 && <p className="muted">No VMs, capsules or networks.</p>}
      {h.items.length > 0 && (
        <table className="table">
          <TableHead columns={['Host', 'Kind', 'Name', 'State', 'Detail']} />
          <tbody>
            {h.items.map((r) => (
              <tr key={`${r.kind}/${r.name}`} data-testid={`item-${h.name}-${r.kind}-${r.name}`}>
                <td>{label}</td>
                <td>{r.kind}</td>
                <td>{r.name}</td>
                <td>
                  <StateBadge state={r.state} reason={r.reason} />
                </td>
                <td className="muted">{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Every host's VMs, capsules and networks, each labelled with its host; hosts answer one by one. */
export function HostsView() {
  const { scope, names, hosts, error, setScope } = useHosts();
  // Live by events (host.event, host.state: stores/hosts.ts); read once when opened.
  useEffect(() => void useHosts.getState().refresh(), []);
  const shown = scope === 'all' ? [LOCAL, ...names] : [scope];
  return (
    <div data-testid="view-hosts">
      <ViewHeader title={scope === 'all' ? 'All hosts' : `Host ${scope}`} subtitle="Remote Nova hosts over SSH (`nova host add`), live: their events come over the SSH connection; an unreachable host is retried by the engine">
        <button type="button" onClick={() => void useHosts.getState().refresh()}>
          Refresh
        </button>
        <button type="button" onClick={() => setScope(LOCAL)}>
          Back to this host
        </button>
      </ViewHeader>
      {error && <p className="warn">Could not list hosts: {error}</p>}
      <ClusterHosts />
      {shown.map((n) => (
        <HostSection key={n} h={hosts[n] ?? { name: n, status: 'loading', items: [] }} />
      ))}
    </div>
  );
}
