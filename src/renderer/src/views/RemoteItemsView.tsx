import { useEffect, useState } from 'react';
import { EmptyState } from '../components/EmptyState';
import { StateBadge } from '../components/StateBadge';
import { RESOURCE_COLUMNS, TableHead } from '../components/TableHead';
import { ViewHeader } from '../components/ViewHeader';
import { call, errorText } from '../lib/rpc';
import { LOCAL, useHosts } from '../stores/hosts';
import type { RemoteKind } from '../stores/hosts';
import { toast } from '../stores/toasts';

// The VMs, Capsules and Networks views with another host chosen in the switcher: that host's
// items of the view's kind, live (its events come through this engine: stores/hosts.ts), with
// start and stop run on that host (host.call).

const TITLES: Record<RemoteKind, string> = { vm: 'Virtual machines', capsule: 'Capsules', network: 'Networks' };
const STOPPED = new Set(['stopped', 'shutoff', 'exited', 'created', 'crashed', 'failed']);

function actions(kind: RemoteKind, state: string): { label: string; method: 'vm.start' | 'vm.stop' | 'capsule.start' | 'capsule.stop' }[] {
  if (kind === 'network') return [];
  if (state === 'running') return [{ label: 'Stop', method: kind === 'vm' ? 'vm.stop' : 'capsule.stop' }];
  return STOPPED.has(state) ? [{ label: 'Start', method: kind === 'vm' ? 'vm.start' : 'capsule.start' }] : [];
}

export function RemoteItemsView({ host, kind }: { host: string; kind: RemoteKind }) {
  const h = useHosts((s) => s.hosts[host]);
  const setScope = useHosts((s) => s.setScope);
  const [busy, setBusy] = useState<string>();
  useEffect(() => {
    if (!useHosts.getState().hosts[host]) void useHosts.getState().refresh();
  }, [host]);
  const rows = (h?.items ?? []).filter((r) => r.kind === kind);
  const run = async (name: string, label: string, method: 'vm.start' | 'vm.stop' | 'capsule.start' | 'capsule.stop') => {
    setBusy(name);
    try {
      await call('host.call', { host, method, input: { name } });
    } catch (e) {
      toast('error', `${label} ${name} on ${host} failed`, errorText(e));
    } finally {
      setBusy(undefined);
    }
  };
  let content;
  if (!h || h.status === 'loading') content = <p className="muted">Asking {host}…</p>;
  else if (h.status === 'unreachable')
    content = (
      <p className="warn" data-testid={`remote-${host}-error`}>
        Host {host} is unreachable: {h.error}. The engine retries by itself; its items show again once it answers.
      </p>
    );
  else if (!rows.length) content = <EmptyState title={`No ${TITLES[kind].toLowerCase()} on ${host}`} hint={`Create one there, e.g. \`nova --host ${host} ${kind === 'network' ? 'net' : kind} create …\`.`} />;
  else
    content = (
      <table className="table" data-testid={`remote-${kind}-table`}>
        <TableHead columns={RESOURCE_COLUMNS} />
        <tbody>
          {rows.map((r) => (
            <tr key={r.name} data-testid={`remote-row-${r.name}`} data-state={r.state}>
              <td>{r.name}</td>
              <td>
                <StateBadge state={r.state} reason={r.reason} />
                {r.reason && <div className="reason">{r.reason}</div>}
              </td>
              <td>{r.project ?? <span className="muted">—</span>}</td>
              <td className="muted">{r.detail}</td>
              <td className="row-actions">
                {actions(kind, r.state).map((a) => (
                  <button key={a.label} type="button" className="ghost" disabled={busy === r.name} onClick={() => void run(r.name, a.label, a.method)}>
                    {a.label}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  return (
    <div data-testid={`view-remote-${kind}`}>
      <ViewHeader title={`${TITLES[kind]} on ${host}`} subtitle={`Remote Nova host over SSH, live: its events come over the SSH connection`}>
        <button type="button" onClick={() => setScope(LOCAL)}>
          Back to this host
        </button>
      </ViewHeader>
      {content}
    </div>
  );
}
