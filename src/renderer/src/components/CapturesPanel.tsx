import { useEffect } from 'react';
import { clock } from '../lib/format';
import { CaptureStart } from './CaptureStart';
import { CaptureTable } from './CaptureTable';
import { useCaptures } from '../stores/captures';
import { useHost } from '../stores/host';
import { usePrefs } from '../stores/prefs';
import { EmptyState } from './EmptyState';
import { NumberField } from './NumberField';
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
          <NumberField min={15} max={120} value={seconds ?? 30} label="Capture auto-scan interval in seconds" testId="capture-interval" onCommit={(v) => void setPref('captureScanSeconds', v)} />
          <span>s (15–120)</span>
        </label>
        <button type="button" onClick={() => void cap.scan({ ...(host ? { host } : {}), manual: true })} disabled={cap.scanning} data-testid="capture-rescan">
          {cap.scanning ? 'Scanning…' : 'Rescan now'}
        </button>
      </header>
      <p className="muted" data-testid="capture-last-scan">
        {cap.scannedAt ? `Last scan ${clock(cap.scannedAt)}${cap.dir ? ` of ${cap.dir}` : ''}; next in about ${seconds ?? 30} s.` : 'Not scanned yet.'}
      </p>
      <CaptureStart />
      {cap.error ? (
        <ErrorNotice message={cap.error} onRetry={() => void cap.scan({ manual: true })} />
      ) : cap.files.length === 0 ? (
        <EmptyState title="No captures yet" hint="Start one above or with `nova net capture start NETWORK`; files land in the captures folder and show up here." />
      ) : (
        <CaptureTable files={cap.files} />
      )}
    </section>
  );
}
