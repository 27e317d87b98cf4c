import { Area, AreaChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Prefs } from '../../../shared/contract/prefs.js';
import { clock, rate } from '../lib/format';
import { seriesKey, useMetrics } from '../stores/metrics';

export type MonitorSettings = Prefs['monitoring'][string];
export const DEFAULT_MONITOR: MonitorSettings = { pollSeconds: 5, offlineThreshold: 3, notify: true };

const pick = (values: Record<string, number>, ...keys: string[]): number | undefined => {
  for (const k of keys) if (values[k] !== undefined) return values[k];
  return undefined;
};

/** Live bandwidth for one interface plus its poll interval, offline threshold and mute toggle. */
export function InterfacePane({ name, settings, onChange }: { name: string; settings: MonitorSettings; onChange(s: MonitorSettings): void }) {
  const samples = useMetrics((s) => s.series[seriesKey('interface', name)]) ?? [];
  const data = samples.map((s) => ({ at: s.at, rx: pick(s.values, 'rxBps', 'rx_bps', 'rx') ?? 0, tx: pick(s.values, 'txBps', 'tx_bps', 'tx') ?? 0 }));
  const last = data[data.length - 1];
  const silentFor = samples.length ? (Date.now() - samples[samples.length - 1]!.at) / 1000 : undefined;
  const offline = silentFor !== undefined && silentFor > settings.pollSeconds * settings.offlineThreshold;
  return (
    <article className="card iface-pane" data-testid={`iface-${name}`}>
      <header className="card-head">
        <h3>{name}</h3>
        <span className={`badge ${samples.length === 0 ? 'badge-muted' : offline ? 'badge-error' : 'badge-ok'}`}>{samples.length === 0 ? 'no samples yet' : offline ? 'offline' : 'online'}</span>
        <span className="muted">
          ↓ {rate(last?.rx)} ↑ {rate(last?.tx)}
        </span>
      </header>
      <ResponsiveContainer width="100%" height={90}>
        <AreaChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
          <XAxis dataKey="at" tickFormatter={clock} stroke="var(--muted)" fontSize={10} minTickGap={40} />
          <YAxis stroke="var(--muted)" fontSize={10} width={52} tickFormatter={(v: number) => rate(v)} />
          <Tooltip labelFormatter={(v) => clock(Number(v))} formatter={(v) => rate(Number(v))} contentStyle={{ background: 'var(--bg-raised)', border: '1px solid var(--border)' }} />
          <Area type="monotone" dataKey="rx" stroke="var(--accent)" fill="var(--accent)" fillOpacity={0.2} isAnimationActive={false} />
          <Area type="monotone" dataKey="tx" stroke="var(--ok)" fill="var(--ok)" fillOpacity={0.2} isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
      <div className="iface-settings">
        <label className="field inline-field">
          <span>Poll</span>
          <input type="number" min={5} max={60} value={settings.pollSeconds} aria-label={`Poll interval for ${name}`} onChange={(e) => { const v = Math.round(Number(e.target.value)); if (v >= 5 && v <= 60) onChange({ ...settings, pollSeconds: v }); }} />
          <span>s</span>
        </label>
        <label className="field inline-field">
          <span>Offline after</span>
          <input type="number" min={1} max={100} value={settings.offlineThreshold} aria-label={`Offline threshold for ${name}`} onChange={(e) => { const v = Math.round(Number(e.target.value)); if (v >= 1 && v <= 100) onChange({ ...settings, offlineThreshold: v }); }} />
          <span>missed polls</span>
        </label>
        <label className="check">
          <input type="checkbox" checked={!settings.notify} onChange={(e) => onChange({ ...settings, notify: !e.target.checked })} aria-label={`Mute notifications for ${name}`} /> Mute
        </label>
      </div>
    </article>
  );
}
