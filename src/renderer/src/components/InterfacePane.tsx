import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { clock, rate } from '../lib/format';
import { NumberField } from './NumberField';
import { seriesKey, useMetrics } from '../stores/metrics';
import type { InterfaceStatus, MonitorSettings } from '../stores/monitors';

const pick = (values: Record<string, number>, ...keys: string[]): number | undefined => {
  for (const k of keys) if (values[k] !== undefined) return values[k];
  return undefined;
};

/** Live bandwidth for one interface plus its poll interval, offline threshold and mute toggle. */
export function InterfacePane({ name, settings, status, onChange, onRemove }: {
  name: string;
  settings: MonitorSettings;
  status?: InterfaceStatus | undefined;
  onChange(s: MonitorSettings): void;
  onRemove(): void;
}) {
  const samples = useMetrics((s) => s.series[seriesKey('interface', name)]) ?? [];
  const data = samples.map((s) => ({ at: s.at, rx: pick(s.values, 'rxRate', 'rxBps') ?? 0, tx: pick(s.values, 'txRate', 'txBps') ?? 0 }));
  const last = data[data.length - 1];
  const rx = last?.rx ?? status?.rxRate;
  const tx = last?.tx ?? status?.txRate;
  const state = status ? (status.online ? 'online' : 'offline') : samples.length ? 'sampling' : 'no samples yet';
  const tone = state === 'online' ? 'badge-ok' : state === 'offline' ? 'badge-error' : 'badge-muted';
  return (
    <article className="card iface-pane" data-testid={`iface-${name}`}>
      <header className="card-head">
        <h3>{name}</h3>
        <span className={`badge ${tone}`} data-testid="iface-state" title={status?.since ? `since ${clock(status.since)}` : undefined}>
          {state}
        </span>
        <span className="muted">
          ↓ {rate(rx)} ↑ {rate(tx)}
        </span>
        <button type="button" className="icon-button" aria-label={`Stop monitoring ${name}`} onClick={onRemove}>
          ×
        </button>
      </header>
      <ResponsiveContainer width="100%" height={90}>
        <AreaChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
          <YAxis stroke="var(--muted)" fontSize={10} width={60} tickFormatter={(v: number) => rate(v)} />
          <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => rate(Number(v))} contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
          <Area type="monotone" dataKey="rx" stroke="var(--accent)" fill="var(--accent)" fillOpacity={0.2} isAnimationActive={false} />
          <Area type="monotone" dataKey="tx" stroke="var(--ok)" fill="var(--ok)" fillOpacity={0.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
      <div className="iface-settings">
        <label className="field inline-field">
          <span>Poll every</span>
          <NumberField min={5} max={60} value={settings.pollSeconds} label={`Poll interval for ${name}`} onCommit={(v) => onChange({ ...settings, pollSeconds: v })} />
          <span>s</span>
        </label>
        <label className="field inline-field">
          <span>Offline after</span>
          <NumberField min={1} max={100} value={settings.offlineThreshold} label={`Offline threshold for ${name}`} onCommit={(v) => onChange({ ...settings, offlineThreshold: v })} />
          <span>s without carrier</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={!settings.notify} onChange={(e) => onChange({ ...settings, notify: !e.target.checked })} aria-label={`Mute notifications for ${name}`} /> Mute
        </label>
      </div>
    </article>
  );
}
