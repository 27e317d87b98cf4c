import { useEffect } from 'react';
import { bytes, clock } from '../lib/format';
import { missingText } from '../stores/backends';
import { useCaptures } from '../stores/captures';
import { useHost } from '../stores/host';
import { usePrefs } from '../stores/prefs';
import { EmptyState } from './EmptyState';
import { ErrorNotice } from './ErrorNotice';

/** Capture files, auto-scanned at the persisted interval (15–120 s) while this panel is open. */
export function CapturesPanel() {
  const seconds = usePrefs((s) => s.prefs?.captureScanSeconds);
  const setPref = usePrefs((s) => s.set);
  const host = useHost((s) => s.info?.hostname);
  const cap = useCaptures();
  useEffect(() => {
    if (!seconds) return;
    void useCaptures.getState().scan();
    const t = setInterval(() => void useCaptures.getState().scan(), seconds * 1000);
    return () => clearInterval(t);
  }, [seconds]);
  return (
    <section className="card" aria-label="Captures">
      <header className="card-head">
        <h2>Captures</h2>
        <label className="field inline-field">
          <span>Auto-scan every</span>
          <input
            type="number"
            min={15}
            max={120}
            value={seconds ?? 30}
            data-testid="capture-interval"
            onChange={(e) => {
              const v = Math.round(Number(e.target.value));
              if (v >= 15 && v <= 120) void setPref('captureScanSeconds', v);
            }}
          />
          <span>s (15–120)</span>
        </label>
        <button type="button" onClick={() => void cap.scan({ ...(host ? { host } : {}), manual: true })} disabled={cap.scanning} data-testid="capture-rescan">
          {cap.scanning ? 'Scanning…' : `Rescan ${host ?? 'this host'}`}
        </button>
      </header>
      <p className="muted" data-testid="capture-last-scan">
        {cap.scannedAt ? `Last scan ${clock(cap.scannedAt)}; next in about ${seconds ?? 30} s.` : 'Not scanned yet.'}
      </p>
      {cap.missing ? (
        <EmptyState testId="backend-missing" title={missingText('capture')} hint="Packet captures need the network backend's capture support (tcpdump)." />
      ) : cap.error ? (
        <ErrorNotice message={cap.error} onRetry={() => void cap.scan({ manual: true })} />
      ) : cap.files.length === 0 ? (
        <EmptyState title="No captures yet" hint="Start one with `nova net capture NETWORK`; files land in the captures folder and show up here." />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>File</th>
              <th>Interface</th>
              <th>Size</th>
              <th>Modified</th>
            </tr>
          </thead>
          <tbody>
            {cap.files.map((f) => (
              <tr key={f.name}>
                <td>{f.name}</td>
                <td>{f.interface ?? '—'}</td>
                <td>{bytes(f.size)}</td>
                <td>{f.mtime ? new Date(f.mtime).toLocaleString() : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
