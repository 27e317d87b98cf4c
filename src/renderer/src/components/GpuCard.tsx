import type { GpuCardData } from '../lib/gpu';
import { BADGE_TONE } from '../lib/gpu';

/** One GPU: badge and reasons always visible; facts when expanded; a checkbox for bulk actions. */
export function GpuCard({ gpu, expanded, selected, onToggleExpand, onToggleSelect }: {
  gpu: GpuCardData;
  expanded: boolean;
  selected: boolean;
  onToggleExpand(): void;
  onToggleSelect(): void;
}) {
  return (
    <article className={`card gpu-card ${selected ? 'selected' : ''}`} data-testid={`gpu-${gpu.address}`} aria-label={`${gpu.name} ${gpu.address}`}>
      <header className="gpu-head">
        <label className="check">
          <input type="checkbox" checked={selected} onChange={onToggleSelect} aria-label={`Select ${gpu.address}`} />
        </label>
        <div className="gpu-title">
          <strong>{gpu.name}</strong>
          <span className="muted">
            {gpu.address} · {gpu.vendor} · {gpu.generation} · driver {gpu.driver}
            {gpu.iommuGroup !== undefined && ` · IOMMU group ${gpu.iommuGroup}`}
          </span>
        </div>
        <span className={`badge badge-${BADGE_TONE[gpu.badge]}`} data-testid="gpu-badge">
          {gpu.badge}
        </span>
        <button type="button" className="icon-button" aria-expanded={expanded} aria-label={expanded ? 'Collapse' : 'Expand'} onClick={onToggleExpand} data-testid="gpu-expand">
          {expanded ? '▾' : '▸'}
        </button>
      </header>
      {gpu.reasons.length > 0 && (
        <ul className="reasons">
          {gpu.reasons.map((r, i) => (
            <li key={i}>
              {r.text}
              {r.fix && <span className="fix"> → {r.fix}</span>}
            </li>
          ))}
        </ul>
      )}
      {expanded && (
        <dl className="facts" data-testid="gpu-facts">
          {gpu.facts.map(([k, v]) => (
            <div key={k} className="fact">
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </article>
  );
}
