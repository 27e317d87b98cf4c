import { useState } from 'react';

/**
 * The VM's clipboard over the console (QEMU's VNC clipboard, which reaches a guest agent when the VM
 * has `clipboard = true`): text to send to the guest, and the last text the guest copied.
 */
export function ClipboardBox({ connected, guestText, send }: { connected: boolean; guestText?: string; send(text: string): void }) {
  const [text, setText] = useState('');
  const [sent, setSent] = useState<string>();
  const copy = () => void navigator.clipboard?.writeText(guestText ?? '').catch(() => undefined);
  return (
    <div className="clipboard-box" data-testid="clipboard-box">
      <label>
        Text for the guest
        <textarea data-testid="clipboard-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} placeholder="Paste or type here, then send: the guest can paste it" />
      </label>
      <div className="clipboard-actions">
        <button
          type="button"
          disabled={!connected || !text}
          title={connected ? undefined : 'the console is not connected'}
          onClick={() => {
            send(text);
            setSent(text);
          }}
        >
          Send to guest
        </button>
        {sent !== undefined && <span className="muted" data-testid="clipboard-sent">sent {sent.length} characters</span>}
      </div>
      <div className="clipboard-guest">
        <span className="muted">Guest&apos;s clipboard</span>
        {guestText === undefined ? (
          <p className="hint" data-testid="guest-clipboard-empty">Nothing copied in the guest yet (the guest needs <code>clipboard = true</code> and spice-vdagent).</p>
        ) : (
          <>
            <pre data-testid="guest-clipboard">{guestText}</pre>
            <button type="button" onClick={copy}>Copy to this computer</button>
          </>
        )}
      </div>
    </div>
  );
}
