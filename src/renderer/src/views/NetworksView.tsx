import { useState } from 'react';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { StateBadge } from '../components/StateBadge';
import { ViewHeader } from '../components/ViewHeader';
import { useNetworkRemoval } from '../components/NetworkRemoveDialog';
import { useNav } from '../stores/nav';
import { byKind, useResources } from '../stores/resources';
import { NetworkCreateDialog } from './NetworkCreateDialog';
import { NetworkDetail } from './NetworkDetail';
import { RESOURCE_COLUMNS, TableHead } from '../components/TableHead';

/** Switches with their state and why; create, inspect and remove. */
export function NetworksView() {
  const res = useResources();
  const detail = useNav((s) => s.detail);
  const go = useNav((s) => s.go);
  const [creating, setCreating] = useState(false);
  const removal = useNetworkRemoval();
  if (detail?.kind === 'network') return <NetworkDetail name={detail.name} />;
  const rows = byKind(res.items, 'network');
  const remove = removal.ask;
  let content;
  if (res.error) content = <ErrorNotice message={`Could not list networks: ${res.error}`} onRetry={() => void res.fetch()} />;
  else if (rows.length === 0)
    content =
      res.status !== 'ready' ? (
        <p className="muted">Loading…</p>
      ) : (
        <EmptyState title="No networks yet" hint="Create a NAT network for your VMs and capsules, or declare [network.NAME] in a NovaFile." action={<button type="button" className="primary" onClick={() => setCreating(true)}>New network…</button>} />
      );
  else
    content = (
      <table className="table" data-testid="network-table">
        <TableHead columns={RESOURCE_COLUMNS} />
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-testid={`row-${r.name}`}>
              <td>
                <button type="button" className="link" onClick={() => go('networks', { kind: 'network', name: r.name })}>
                  {r.name}
                </button>
              </td>
              <td>
                <StateBadge state={r.state} reason={r.reason} />
                {r.reason && <div className="reason">{r.reason}</div>}
              </td>
              <td>{r.project ?? <span className="muted">—</span>}</td>
              <td className="muted">{r.detail}</td>
              <td className="row-actions">
                <button type="button" className="danger ghost" onClick={() => void remove(r.name)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  return (
    <>
      <ViewHeader title="Networks" subtitle="Bridges and overlays with NAT, DHCP and DNS">
        <button type="button" className="primary" onClick={() => setCreating(true)} data-testid="new-network">
          New network…
        </button>
      </ViewHeader>
      {content}
      <NetworkCreateDialog open={creating} onOpenChange={setCreating} />
      {removal.dialog}
    </>
  );
}
