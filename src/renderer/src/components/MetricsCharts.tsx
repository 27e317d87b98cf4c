import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { axisBytes, bytes, clock } from '../lib/format';
import { axisTicks } from '../lib/ticks';
import { seriesKey, useMetrics } from '../stores/metrics';
import { EmptyState } from './EmptyState';

/** Friendly names; cumulative counters (…Ns) are left out, rates and gauges are drawn. */
const LABELS: Record<string, string> = {
  cpuPercent: 'CPU (% of one core)', memoryBytes: 'Memory', ioReadBytes: 'Disk read', ioWriteBytes: 'Disk written',
  pids: 'Processes', oomKills: 'OOM kills', rxRate: 'Network in', txRate: 'Network out', rxBytes: 'Received', txBytes: 'Sent',
};
const isBytes = (k: string) => /Bytes$|Rate$/.test(k);
/** Whole-number series: their axis steps by 1, 2, 3… (never 0.5 processes). */
const isCount = (k: string) => k === 'pids' || k === 'oomKills';
const axisTick = (k: string) => (v: number) => (isBytes(k) ? axisBytes(v) + (k.endsWith('Rate') ? '/s' : '') : String(v));
const tick = (k: string) => (v: number) => (isBytes(k) ? bytes(v) + (k.endsWith('Rate') ? '/s' : '') : String(Math.round(v * 100) / 100));

const COLORS = ['var(--accent)', 'var(--ok)', 'var(--purple)', 'var(--warn)', 'var(--info)', 'var(--error)'];

/** One small chart per metric (cpu, memory, disk, network…) from live `metrics.sample` events. */
export function MetricsCharts({ kind, name }: { kind: string; name: string }) {
  const samples = useMetrics((s) => s.series[seriesKey(kind, name)]);
  if (!samples || samples.length === 0)
    return <EmptyState title="No samples yet" hint="Graphs fill in while the instance runs: the engine publishes metrics.sample every few seconds." />;
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s.values)))].filter((k) => !k.endsWith('Ns')).sort((a, b) => (LABELS[a] ? 0 : 1) - (LABELS[b] ? 0 : 1) || a.localeCompare(b));
  const data = samples.map((s) => ({ at: s.at, ...s.values }));
  return (
    <div className="charts" data-testid="metrics-charts">
      {keys.map((k, i) => {
        // Round ticks from 0 to the series' maximum (recharts' own pick reads 0/9/18/36).
        const ticks = axisTicks(Math.max(0, ...data.map((d) => Number((d as Record<string, number>)[k]) || 0)), isBytes(k), isCount(k));
        return (
        <figure key={k} className="chart">
          <figcaption>{LABELS[k] ?? k}</figcaption>
          <ResponsiveContainer width="100%" height={120}>
            <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
              <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
              <YAxis domain={[0, ticks.at(-1)!]} ticks={ticks} interval={0} stroke="var(--muted)" fontSize={10} width={64} tickFormatter={axisTick(k)} />
              <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => tick(k)(Number(v))} contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
              <Line type="monotone" dataKey={k} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </figure>
        );
      })}
    </div>
  );
}
