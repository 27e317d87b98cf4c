import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { clock } from '../lib/format';
import { seriesKey, useMetrics } from '../stores/metrics';
import { EmptyState } from './EmptyState';

const COLORS = ['var(--accent)', 'var(--ok)', 'var(--purple)', 'var(--warn)', 'var(--info)', 'var(--error)'];

/** One small chart per metric (cpu, memory, disk, network…) from live `metrics.sample` events. */
export function MetricsCharts({ kind, name }: { kind: string; name: string }) {
  const samples = useMetrics((s) => s.series[seriesKey(kind, name)]);
  if (!samples || samples.length === 0)
    return <EmptyState title="No samples yet" hint="Graphs fill in while the instance runs: the engine publishes metrics.sample every few seconds." />;
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s.values)))].sort();
  const data = samples.map((s) => ({ at: s.at, ...s.values }));
  return (
    <div className="charts" data-testid="metrics-charts">
      {keys.map((k, i) => (
        <figure key={k} className="chart">
          <figcaption>{k}</figcaption>
          <ResponsiveContainer width="100%" height={120}>
            <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
              <YAxis stroke="var(--muted)" fontSize={10} width={48} />
              <Tooltip labelFormatter={(v) => clock(Number(v))} contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
              <Line type="monotone" dataKey={k} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
      ))}
    </div>
  );
}
