import { useEffect } from 'react';
import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { axisBytes, bytes, clock } from '../lib/format';
import { byteTicks } from '../lib/ticks';
import { call } from '../lib/rpc';
import { HOST_SERIES, useMetrics } from '../stores/metrics';

const PERCENT_TICKS = [0, 25, 50, 75, 100];
type Point = { at: number; cpuPercent?: number; memoryUsedBytes?: number; memoryTotalBytes?: number; load1?: number };
const tooltipStyle = { background: 'var(--bg-raised)', border: '1px solid var(--border)' };

/**
 * This host's CPU and memory over the last minutes, from the engine's live `metrics.sample`
 * (kind "host", every 2 s since the app opened); one `host.stats` reading fills the graphs at once.
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
  const data: Point[] = (samples ?? []).map((s) => ({ at: s.at, ...s.values }));
  const last = data.at(-1);
  const total = last?.memoryTotalBytes ?? 0;
  const memTicks = byteTicks(total);
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
            <ResponsiveContainer width="100%" height={110}>
              <AreaChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
                <YAxis domain={[0, 100]} ticks={PERCENT_TICKS} interval={0} stroke="var(--muted)" fontSize={10} width={40} tickFormatter={(v: number) => `${v}%`} />
                <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => [`${Number(v).toFixed(1)}%`, 'CPU']} contentStyle={tooltipStyle} />
                <Area type="monotone" dataKey="cpuPercent" stroke="var(--accent)" fill="var(--accent)" fillOpacity={0.2} isAnimationActive={false} />
              </AreaChart>
            </ResponsiveContainer>
          </figure>
          <figure className="chart" data-testid="host-memory">
            <figcaption>
              Memory <strong>{bytes(last.memoryUsedBytes)}</strong> of {bytes(total)} in use
            </figcaption>
            <ResponsiveContainer width="100%" height={110}>
              <AreaChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
                <YAxis domain={[0, memTicks.at(-1) ?? 'auto']} ticks={memTicks} interval={0} stroke="var(--muted)" fontSize={10} width={64} tickFormatter={axisBytes} />
                <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => [bytes(Number(v)), 'in use']} contentStyle={tooltipStyle} />
                <Area type="monotone" dataKey="memoryUsedBytes" stroke="var(--purple)" fill="var(--purple)" fillOpacity={0.2} isAnimationActive={false} />
              </AreaChart>
            </ResponsiveContainer>
          </figure>
        </div>
      )}
    </div>
  );
}
