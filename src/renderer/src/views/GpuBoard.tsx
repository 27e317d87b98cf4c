import { useCallback, useEffect, useState } from 'react';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { FilterChips } from '../components/FilterChips';
import { GpuCard } from '../components/GpuCard';
import { ViewHeader } from '../components/ViewHeader';
import type { GpuCardData, GpuFilters } from '../lib/gpu';
import { badgeSummary, facetValues, gpuCard, matchesFilters } from '../lib/gpu';
import { call, errorText } from '../lib/rpc';
import { useHost } from '../stores/host';
import { usePrefs } from '../stores/prefs';
import { toast } from '../stores/toasts';

const BULK = [
  { method: 'gpu.bind', label: 'Bind to VFIO', past: 'bound to vfio-pci' },
  { method: 'gpu.unbind', label: 'Unbind', past: 'unbound' },
  { method: 'gpu.reset', label: 'Reset', past: 'reset' },
  { method: 'gpu.reattach', label: 'Reattach driver', past: 'reattached to its driver' },
] as const;
const NO_FILTERS: GpuFilters = { vendor: [], generation: [], host: [] };

/** GPUs with diagnostics, persisted filters and expansion, and bulk VFIO actions. */
export function GpuBoard() {
  const hostname = useHost((s) => s.info?.hostname ?? 'local');
  const prefs = usePrefs((s) => s.prefs);
  const setPref = usePrefs((s) => s.set);
  const [gpus, setGpus] = useState<GpuCardData[]>();
  const [error, setError] = useState<string>();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const filters = prefs?.gpuFilters ?? NO_FILTERS;
  const expanded = prefs?.expandedCards ?? [];

  const load = useCallback(() => {
    call('gpu.list', {}).then(
      (v) => {
        setGpus(v.gpus.map((g) => gpuCard(g, hostname)));
        setError(undefined);
      },
      (e) => setError(errorText(e)),
    );
  }, [hostname]);
  useEffect(load, [load]);

  const toggleFilter = (facet: keyof GpuFilters, v: string) => {
    const cur = filters[facet];
    void setPref('gpuFilters', { ...filters, [facet]: cur.includes(v) ? cur.filter((x) => x !== v) : [...cur, v] });
  };
  const toggleExpand = (addr: string) => void setPref('expandedCards', expanded.includes(addr) ? expanded.filter((a) => a !== addr) : [...expanded, addr]);
  const toggleSelect = (addr: string) => setSelected((s) => { const n = new Set(s); if (n.has(addr)) n.delete(addr); else n.add(addr); return n; });

  /** One call for the selection; one toast per device with what happened to it. */
  const bulk = async (method: (typeof BULK)[number]['method'], past: string) => {
    const addresses = [...selected];
    setBusy(true);
    try {
      const out = await call(method, { addresses });
      for (const r of out.results)
        if (r.ok) toast('success', `${r.address} ${past}`, r.message);
        else toast('error', `${r.address}: ${method} failed`, [r.error?.message ?? r.message, r.error?.fix].filter(Boolean).join(' — '));
    } catch (e) {
      const why = errorText(e);
      for (const address of addresses) toast('error', `${address}: ${method} failed`, why);
    }
    setBusy(false);
    load();
  };

  const shown = (gpus ?? []).filter((g) => matchesFilters(g, filters));
  const summary = badgeSummary(shown);
  return (
    <>
      <ViewHeader title="GPUs" subtitle="Passthrough readiness per device">
        {gpus && (
          <span className="badge-summary" data-testid="badge-summary">
            <span className="badge badge-ok">{summary.OK} OK</span>
            <span className="badge badge-warn">{summary.Degraded} Degraded</span>
            <span className="badge badge-error">{summary['Action Needed']} Action Needed</span>
            {summary.Unknown > 0 && <span className="badge badge-muted">{summary.Unknown} Unknown</span>}
          </span>
        )}
        <button type="button" onClick={load} data-testid="gpu-refresh">
          Refresh
        </button>
      </ViewHeader>
      {error ? (
        <ErrorNotice message={error} onRetry={load} />
      ) : !gpus ? (
        <p className="muted">Scanning PCI devices…</p>
      ) : gpus.length === 0 ? (
        <EmptyState title="No GPUs found" hint="Nova looked for PCI display controllers under /sys/bus/pci. Check that the card is seated and visible in `lspci`." />
      ) : (
        <>
          <div className="filters" data-testid="gpu-filters">
            <FilterChips label="Vendor" values={facetValues(gpus, 'vendor')} selected={filters.vendor} onToggle={(v) => toggleFilter('vendor', v)} />
            <FilterChips label="Generation" values={facetValues(gpus, 'generation')} selected={filters.generation} onToggle={(v) => toggleFilter('generation', v)} />
            <FilterChips label="Host" values={facetValues(gpus, 'host')} selected={filters.host} onToggle={(v) => toggleFilter('host', v)} />
          </div>
          <div className="bulk-bar" data-testid="bulk-bar">
            <label className="check">
              <input type="checkbox" checked={shown.length > 0 && shown.every((g) => selected.has(g.address))} onChange={(e) => setSelected(e.target.checked ? new Set(shown.map((g) => g.address)) : new Set())} /> Select all shown
            </label>
            <span className="muted">{selected.size} selected</span>
            {BULK.map((b) => (
              <button key={b.method} type="button" disabled={busy || selected.size === 0} onClick={() => void bulk(b.method, b.past)}>
                {b.label}
              </button>
            ))}
          </div>
          {shown.length === 0 && <EmptyState title="No GPU matches these filters" hint="Click an active chip to remove it." />}
          <div className="gpu-grid">
            {shown.map((g) => (
              <GpuCard key={g.address} gpu={g} expanded={expanded.includes(g.address)} selected={selected.has(g.address)} onToggleExpand={() => toggleExpand(g.address)} onToggleSelect={() => toggleSelect(g.address)} />
            ))}
          </div>
        </>
      )}
    </>
  );
}
