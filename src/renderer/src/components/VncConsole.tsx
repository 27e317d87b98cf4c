import { useEffect, useRef, useState } from 'react';
import { bridge } from '../lib/rpc';

/**
 * The VM's screen (noVNC), loaded only when the tab is opened. QEMU's VNC is a unix socket only;
 * the bridge says where Nova relays it (`nova serve`, or the app's main process) and how to sign in.
 */
export function VncConsole({ vm }: { vm: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting…');
  const rfbRef = useRef<{ disconnect(): void; sendCtrlAltDel(): void } | null>(null);
  useEffect(() => {
    let cancelled = false;
    void Promise.all([import('@novnc/novnc'), bridge().consoleEndpoint(vm)]).then(([{ default: RFB }, endpoint]) => {
      if (cancelled || !screen.current) return;
      const rfb = new RFB(screen.current, endpoint.url, { wsProtocols: endpoint.protocols });
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
  }, [vm]);
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
