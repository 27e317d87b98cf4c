import { useState } from 'react';
import { act } from '../lib/actions';
import { PORT_FORWARD as PORT } from '../lib/ports';

/** Adds a host:guest port forward to one attached instance. */
export function ForwardForm({ network, owners, onAdded }: { network: string; owners: { kind: 'vm' | 'capsule'; name: string }[]; onAdded(): void }) {
  const [owner, setOwner] = useState('');
  const [port, setPort] = useState('');
  if (owners.length === 0) return <p className="hint">Attach an instance to forward ports to it.</p>;
  const chosen = owners.find((o) => `${o.kind}/${o.name}` === owner) ?? owners[0]!;
  const ok = PORT.test(port);
  return (
    <form
      className="inline"
      onSubmit={(e) => {
        e.preventDefault();
        if (!ok) return;
        void act('network.forward.add', { network, owner: chosen, port }, `Forward ${port} → ${chosen.name} added`).then((done) => {
          if (done) {
            setPort('');
            onAdded();
          }
        });
      }}
    >
      <select value={`${chosen.kind}/${chosen.name}`} onChange={(e) => setOwner(e.target.value)} aria-label="Forward to">
        {owners.map((o) => (
          <option key={`${o.kind}/${o.name}`} value={`${o.kind}/${o.name}`}>
            {o.name}
          </option>
        ))}
      </select>
      <input value={port} onChange={(e) => setPort(e.target.value)} placeholder="8080:80 or 8080:80/udp" aria-label="Port forward (host:guest)" aria-invalid={Boolean(port) && !ok} />
      <button type="submit" disabled={!ok}>
        Add forward
      </button>
    </form>
  );
}
