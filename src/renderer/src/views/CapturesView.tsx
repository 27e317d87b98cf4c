import { useEffect, useState } from 'react';
import { CapturesPanel } from '../components/CapturesPanel';
import { EmptyState } from '../components/EmptyState';
import { InterfacePane } from '../components/InterfacePane';
import { ViewHeader } from '../components/ViewHeader';
import { on } from '../lib/rpc';
import { interfacesSeen, useMetrics } from '../stores/metrics';
import { DEFAULT_MONITOR, useMonitors } from '../stores/monitors';
import { usePrefs } from '../stores/prefs';

const IFACE = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,14}$/;

/** Packet captures and per-interface bandwidth monitoring. */
export function CapturesView() {
  const prefs = usePrefs((s) => s.prefs);
  const mon = useMonitors();
  const seen = interfacesSeen(useMetrics((s) => s.series));
  const monitoring = prefs?.monitoring ?? {};
  const status = new Map(mon.items.map((i) => [i.interface, i]));
  const ifaces = [...new Set([...mon.items.map((i) => i.interface), ...Object.keys(monitoring), ...seen])].sort();
  const [adding, setAdding] = useState('');
  useEffect(() => {
    void useMonitors.getState().fetch();
    const refetch = () => useMonitors.getState().refetch();
    const offs = [on('interface.online', refetch), on('interface.offline', refetch)];
    return () => offs.forEach((off) => off());
  }, []);
  return (
    <>
      <ViewHeader title="Captures & Monitoring" subtitle="Packet captures and live bandwidth per interface" />
      <CapturesPanel />
      <section className="card" aria-label="Monitoring">
        <header className="card-head">
          <h2>Interfaces</h2>
          <form
            className="inline"
            onSubmit={(e) => {
              e.preventDefault();
              if (IFACE.test(adding)) {
                void mon.save(adding, status.get(adding)?.settings ?? monitoring[adding] ?? DEFAULT_MONITOR);
                setAdding('');
              }
            }}
          >
            <input value={adding} onChange={(e) => setAdding(e.target.value)} placeholder="interface, e.g. br-lab" aria-label="Interface to monitor" />
            <button type="submit" disabled={!IFACE.test(adding)}>
              Monitor
            </button>
          </form>
        </header>
        {mon.error && <p className="field-error">{mon.error}</p>}
        {ifaces.length === 0 ? (
          <EmptyState title="No interfaces monitored" hint="Add one above. Bandwidth appears as the engine polls it." />
        ) : (
          <div className="iface-grid">
            {ifaces.map((i) => (
              <InterfacePane
                key={i}
                name={i}
                status={status.get(i)}
                settings={{ ...DEFAULT_MONITOR, ...monitoring[i], ...status.get(i)?.settings }}
                onChange={(s) => void mon.save(i, s)}
                onRemove={() => void mon.remove(i)}
              />
            ))}
          </div>
        )}
      </section>
    </>
  );
}
