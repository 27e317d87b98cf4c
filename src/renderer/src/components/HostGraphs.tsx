import { lazy, Suspense, useEffect } from 'react';
import { bytes } from '../lib/format';
import { call } from '../lib/rpc';
import { HOST_SERIES, useMetrics } from '../stores/metrics';
import type { HostPoint } from './HostCharts';

// The charts (recharts and d3) load only once there is a line to draw: in a cold tab, evaluating
// recharts and drawing its first chart cost ~0.5 s of main thread (#24), and a graph of one
// sample (or of two read the same moment, host.stats and the first live tick) shows nothing.
const CpuChart = lazy(() => import('./HostCharts').then((m) => ({ default: m.CpuChart })));
const MemoryChart = lazy(() => import('./HostCharts').then((m) => ({ default: m.MemoryChart })));

/** Samples at least this far apart make a line (the engine samples every 2 s). */
export const PLOT_SPAN_MS = 1000;

/** True when the samples span enough time to draw a line through them. */
export const plottable = (data: readonly { at: number }[]): boolean => data.length >= 2 && data.at(-1)!.at - data[0]!.at >= PLOT_SPAN_MS;

const collecting = (
  <div className="chart-pending muted" data-testid="chart-collecting">
    Collecting samples…
  </div>
);
const drawing = (
  <div className="chart-pending muted" data-testid="chart-drawing">
    Drawing…
  </div>
);

/**
 * This host's CPU and memory over the last minutes, from the engine's live `metrics.sample`
 * (kind "host", every 2 s since the app opened); one `host.stats` reading fills the figures at
 * once, the graphs follow from the next sample on.
 */
export function HostGraphs() {
  const samples = useMetrics((s) => s.series[HOST_SERIES]);
  useEffect(() => {
    if (useMetrics.getState().series[HOST_SERIES]?.length) return;
    call('host.stats', {}).then(
      (s) => useMetrics.getState().add({ kind: 'host', name: 'local', at: s.at, values: { ...(s.cpuPercent !== undefined ? { cpuPercent: s.cpuPercent } : {}), memoryUsedBytes: s.memoryUsedBytes, memoryTotalBytes: s.memoryTotalBytes, load1: s.load[0] } }),
      () => undefined, // the live samples still come
    );
  }, []);
  const data: HostPoint[] = (samples ?? []).map((s) => ({ at: s.at, ...s.values }));
  const last = data.at(-1);
  const total = last?.memoryTotalBytes ?? 0;
  const draw = plottable(data);
  return (
    <div className="card host-graphs" data-testid="host-graphs" data-samples={data.length}>
      <h2>Host load</h2>
      {!last ? (
        <p className="muted">Reading CPU and memory…</p>
      ) : (
        <div className="charts">
          <figure className="chart" data-testid="host-cpu">
            <figcaption>
              CPU <strong>{last.cpuPercent !== undefined ? `${last.cpuPercent.toFixed(1)}%` : '—'}</strong> of all CPUs
              {last.load1 !== undefined && <span className="muted"> · load {last.load1.toFixed(2)}</span>}
            </figcaption>
            {draw ? (
              <Suspense fallback={drawing}>
                <CpuChart data={data} />
              </Suspense>
            ) : (
              collecting
            )}
          </figure>
          <figure className="chart" data-testid="host-memory">
            <figcaption>
              Memory <strong>{bytes(last.memoryUsedBytes)}</strong> of {bytes(total)} in use
            </figcaption>
            {draw ? (
              <Suspense fallback={drawing}>
                <MemoryChart data={data} total={total} />
              </Suspense>
            ) : (
              collecting
            )}
          </figure>
        </div>
      )}
    </div>
  );
}
