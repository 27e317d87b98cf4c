import type { ResourceSummary } from '../../../shared/contract/resource.js';
import type { ViewId } from '../stores/nav';

const KINDS: { kind: ResourceSummary['kind']; label: string; view: ViewId }[] = [
  { kind: 'vm', label: 'VMs', view: 'vms' },
  { kind: 'capsule', label: 'Capsules', view: 'capsules' },
  { kind: 'network', label: 'Networks', view: 'networks' },
];

/** Per kind: total and how many are in each state; a click opens the kind's view. */
export function ResourceCounts({ items, onOpen }: { items: ResourceSummary[]; onOpen(view: ViewId): void }) {
  return (
    <ul className="counts" data-testid="resource-counts">
      {KINDS.map(({ kind, label, view }) => {
        const mine = items.filter((r) => r.kind === kind);
        const states = new Map<string, number>();
        for (const r of mine) states.set(r.state, (states.get(r.state) ?? 0) + 1);
        return (
          <li key={kind}>
            <button type="button" className="link" onClick={() => onOpen(view)}>
              <span className="count">{mine.length}</span> {label}
            </button>
            <span className="muted"> {[...states].map(([s, n]) => `${n} ${s}`).join(' · ') || 'none yet'}</span>
          </li>
        );
      })}
    </ul>
  );
}
