import type { InstanceKind } from '../lib/actions';
import { actionsFor } from '../lib/actions';
import { useNav } from '../stores/nav';
import { byKind, useResources } from '../stores/resources';
import { AutostartBadge, useAutostart } from './AutostartBadge';
import { EmptyState } from './EmptyState';
import { ErrorNotice } from './ErrorNotice';
import { StateBadge } from './StateBadge';
import { RESOURCE_COLUMNS, TableHead } from './TableHead';
import { VmCpuCell, VmIpCell } from './VmLiveCells';

/** The VM list adds the guest's IP and its CPU use beside the state. */
const VM_COLUMNS = ['Name', 'State', 'IP', 'CPU', 'Project', 'Details'];

/** VMs or capsules with live state (events patch rows, refetch is debounced) and their actions. */
export function InstanceList({ kind, emptyHint }: { kind: InstanceKind; emptyHint: string }) {
  const res = useResources();
  const go = useNav((s) => s.go);
  const rows = byKind(res.items, kind);
  const atBoot = useAutostart(kind, rows.map((r) => `${r.name}:${r.state}`).join(','));

  if (res.error) return <ErrorNotice message={`Could not list ${kind}s: ${res.error}`} onRetry={() => void res.fetch()} />;
  if (rows.length === 0) {
    if (res.status !== 'ready') return <p className="muted">Loading…</p>;
    return <EmptyState title={`No ${kind === 'vm' ? 'VMs' : 'capsules'} yet`} hint={emptyHint} />;
  }
  return (
    <table className="table" data-testid={`${kind}-table`}>
      <TableHead columns={kind === 'vm' ? VM_COLUMNS : RESOURCE_COLUMNS} />
      <tbody>
        {rows.map((r) => (
          <tr key={r.name} data-testid={`row-${r.name}`}>
            <td>
              <button type="button" className="link" onClick={() => go(kind === 'vm' ? 'vms' : 'capsules', { kind, name: r.name })}>
                {r.name}
              </button>
              {atBoot.has(r.name) && <> <AutostartBadge name={r.name} /></>}
            </td>
            <td>
              <StateBadge state={r.state} reason={r.reason} />
              {r.reason && <div className="reason">{r.reason}</div>}
            </td>
            {kind === 'vm' && <VmIpCell name={r.name} state={r.state} />}
            {kind === 'vm' && <VmCpuCell name={r.name} state={r.state} />}
            <td>{r.project ?? <span className="muted">—</span>}</td>
            <td className="muted">{r.detail}</td>
            <td className="row-actions">
              {actionsFor(r.state, kind).map((a) => (
                <button key={a.id} type="button" className={a.danger ? 'danger ghost' : 'ghost'} onClick={() => void a.run(kind, r.name)}>
                  {a.label}
                </button>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
