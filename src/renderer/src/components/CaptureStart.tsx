import { useState } from 'react';
import { act } from '../lib/actions';
import { useCaptures } from '../stores/captures';
import { byKind, useResources } from '../stores/resources';

/** Starts a tcpdump capture on a network, optionally for a fixed duration and with a filter. */
export function CaptureStart() {
  const networks = byKind(useResources((s) => s.items), 'network');
  const [network, setNetwork] = useState('');
  const [duration, setDuration] = useState('60');
  const [filter, setFilter] = useState('');
  const net = network || networks[0]?.name || '';
  if (networks.length === 0) return <p className="muted">Create a network to capture its traffic.</p>;
  const start = async () => {
    const d = Number(duration);
    const input = { network: net, ...(d > 0 ? { duration: Math.round(d) } : {}), ...(filter ? { filter } : {}) };
    if (await act('network.capture.start', input, `Capturing on ${net}`)) void useCaptures.getState().scan({ manual: false });
  };
  return (
    <form
      className="inline capture-start"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <select value={net} onChange={(e) => setNetwork(e.target.value)} aria-label="Network to capture">
        {networks.map((n) => (
          <option key={n.name}>{n.name}</option>
        ))}
      </select>
      <input type="number" min={0} max={86400} value={duration} onChange={(e) => setDuration(e.target.value)} aria-label="Duration in seconds (0 = until stopped)" />
      <span className="muted">s</span>
      <input value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="filter, e.g. port 53" aria-label="Capture filter" />
      <button type="submit">Start capture</button>
    </form>
  );
}
