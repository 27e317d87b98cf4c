import { useEffect, useRef, useState } from 'react';

/** The VM's screen over QEMU's VNC WebSocket (noVNC), loaded only when the tab is opened. */
export function VncConsole({ url }: { url: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting…');
  const rfbRef = useRef<{ disconnect(): void; sendCtrlAltDel(): void } | null>(null);
  useEffect(() => {
    let cancelled = false;
    void import('@novnc/novnc').then(({ default: RFB }) => {
      if (cancelled || !screen.current) return;
      const rfb = new RFB(screen.current, url);
      rfb.scaleViewport = true;
      rfb.addEventListener('connect', () => setStatus('connected'));
      rfb.addEventListener('disconnect', () => setStatus('disconnected — is the VM running?'));
      rfbRef.current = rfb;
    }, (e: Error) => setStatus(`console failed to load: ${e.message}`));
    return () => {
      cancelled = true;
      rfbRef.current?.disconnect();
      rfbRef.current = null;
    };
  }, [url]);
  return (
    <div className="console">
      <div className="console-bar">
        <span className="muted" data-testid="vnc-status">{status}</span>
        <button type="button" onClick={() => rfbRef.current?.sendCtrlAltDel()}>
          Send Ctrl+Alt+Del
        </button>
      </div>
      <div ref={screen} className="console-screen" />
    </div>
  );
}
