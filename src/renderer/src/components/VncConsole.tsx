import { useEffect, useRef, useState } from 'react';
import type RFB from '@novnc/novnc';
import { bridge } from '../lib/rpc';
import { ClipboardBox } from './ClipboardBox';

/**
 * The VM's screen (noVNC), loaded only when the tab is opened. QEMU's VNC is a unix socket only;
 * the bridge says where Nova relays it (`nova serve`, or the app's main process) and how to sign in.
 * The clipboard box sends text over VNC and shows what the guest copied. The guest's display follows
 * the console's size where it can (display = "virtio", the default for Linux guests).
 */
export function VncConsole({ vm }: { vm: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting…');
  const [guestText, setGuestText] = useState<string>();
  const [showClipboard, setShowClipboard] = useState(false);
  const rfbRef = useRef<RFB | null>(null);
  useEffect(() => {
    let cancelled = false;
    void Promise.all([import('@novnc/novnc'), bridge().consoleEndpoint(vm)]).then(([{ default: Rfb }, endpoint]) => {
      if (cancelled || !screen.current) return;
      const rfb = new Rfb(screen.current, endpoint.url, { wsProtocols: endpoint.protocols });
      // Ask the guest to take the window's size (virtio-vga with a guest driver follows; QEMU
      // refuses for standard VGA), and scale whatever size the guest keeps to fit the window.
      rfb.resizeSession = true;
      rfb.scaleViewport = true;
      rfb.addEventListener('connect', () => setStatus('connected'));
      rfb.addEventListener('disconnect', () => setStatus('disconnected — is the VM running?'));
      rfb.addEventListener('clipboard', (e) => setGuestText((e as CustomEvent<{ text: string }>).detail.text));
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
        <span>
          <button type="button" aria-pressed={showClipboard} data-testid="clipboard-toggle" onClick={() => setShowClipboard((s) => !s)}>
            Clipboard
          </button>{' '}
          <button type="button" onClick={() => rfbRef.current?.sendCtrlAltDel()}>
            Send Ctrl+Alt+Del
          </button>
        </span>
      </div>
      {showClipboard && <ClipboardBox connected={status === 'connected'} guestText={guestText} send={(t) => rfbRef.current?.clipboardPasteFrom(t)} />}
      <div ref={screen} className="console-screen" />
    </div>
  );
}
