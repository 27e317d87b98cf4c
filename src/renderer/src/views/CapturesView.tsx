import { useState } from 'react';
import { CapturesPanel } from '../components/CapturesPanel';
import { EmptyState } from '../components/EmptyState';
import { DEFAULT_MONITOR, InterfacePane } from '../components/InterfacePane';
import { ViewHeader } from '../components/ViewHeader';
import { interfacesSeen, useMetrics } from '../stores/metrics';
import { usePrefs } from '../stores/prefs';

const IFACE = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,14}$/;

/** Packet captures and per-interface bandwidth monitoring. */
export function CapturesView() {
  const prefs = usePrefs((s) => s.prefs);
  const setPref = usePrefs((s) => s.set);
  const seen = interfacesSeen(useMetrics((s) => s.series));
  const monitoring = prefs?.monitoring ?? {};
  const ifaces = [...new Set([...Object.keys(monitoring), ...seen])].sort();
  const [adding, setAdding] = useState('');
  const save = (name: string, settings: (typeof monitoring)[string]) => void setPref('monitoring', { ...monitoring, [name]: settings });
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
                save(adding, monitoring[adding] ?? DEFAULT_MONITOR);
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
        {ifaces.length === 0 ? (
          <EmptyState title="No interfaces monitored" hint="Add one above. Bandwidth appears as the engine's monitor publishes samples for it." />
        ) : (
          <div className="iface-grid">
            {ifaces.map((i) => (
              <InterfacePane key={i} name={i} settings={{ ...DEFAULT_MONITOR, ...monitoring[i] }} onChange={(s) => save(i, s)} />
            ))}
          </div>
        )}
      </section>
    </>
  );
}
