import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { axisBytes, bytes, clock } from '../lib/format';
import { byteTicks } from '../lib/ticks';

// recharts and d3 (~0.4 MB): loaded by HostGraphs only once there is a line to draw (#24).

export type HostPoint = { at: number; cpuPercent?: number; memoryUsedBytes?: number; memoryTotalBytes?: number; load1?: number };

const PERCENT_TICKS = [0, 25, 50, 75, 100];
const tooltipStyle = { background: 'var(--bg-raised)', border: '1px solid var(--border)' };
const margin = { top: 4, right: 8, bottom: 0, left: 0 };

export function CpuChart({ data }: { data: HostPoint[] }) {
  return (
    <ResponsiveContainer width="100%" height={110}>
      <AreaChart data={data} margin={margin}>
        <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
        <YAxis domain={[0, 100]} ticks={PERCENT_TICKS} interval={0} stroke="var(--muted)" fontSize={10} width={40} tickFormatter={(v: number) => `${v}%`} />
        <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => [`${Number(v).toFixed(1)}%`, 'CPU']} contentStyle={tooltipStyle} />
        <Area type="monotone" dataKey="cpuPercent" stroke="var(--accent)" fill="var(--accent)" fillOpacity={0.2} isAnimationActive={false} />
      </AreaChart>
    </ResponsiveContainer>
  );
}

export function MemoryChart({ data, total }: { data: HostPoint[]; total: number }) {
  const memTicks = byteTicks(total);
  return (
    <ResponsiveContainer width="100%" height={110}>
      <AreaChart data={data} margin={margin}>
        <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
        <YAxis domain={[0, memTicks.at(-1) ?? 'auto']} ticks={memTicks} interval={0} stroke="var(--muted)" fontSize={10} width={64} tickFormatter={axisBytes} />
        <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => [bytes(Number(v)), 'in use']} contentStyle={tooltipStyle} />
        <Area type="monotone" dataKey="memoryUsedBytes" stroke="var(--purple)" fill="var(--purple)" fillOpacity={0.2} isAnimationActive={false} />
      </AreaChart>
    </ResponsiveContainer>
  );
}
