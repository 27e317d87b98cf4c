import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { errorText } from '../lib/rpc';
import { TerminalSession } from '../lib/terminalSession';
import type { TerminalTarget } from '../lib/terminalSession';

/**
 * A real terminal (xterm.js) on an engine terminal session: a shell in a running capsule or a
 * VM's serial console. Fits its box and tells the engine the new size; Reconnect starts afresh.
 */
export function TerminalPane({ target }: { target: TerminalTarget }) {
  const box = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState('connecting…');
  const [generation, setGeneration] = useState(0);
  const [ended, setEnded] = useState(false);
  const [size, setSize] = useState('');
  const key = JSON.stringify(target);

  useEffect(() => {
    let disposed = false;
    let cleanup = () => {};
    setEnded(false);
    setStatus('connecting…');
    void Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]).then(async ([{ Terminal }, { FitAddon }]) => {
      if (disposed || !box.current) return;
      const css = getComputedStyle(document.documentElement);
      const term = new Terminal({
        cursorBlink: true,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace',
        fontSize: 13,
        theme: { background: css.getPropertyValue('--bg-alt').trim() || '#000000', foreground: css.getPropertyValue('--fg').trim() || '#ffffff' },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(box.current);
      fit.fit();
      const session = new TerminalSession({
        output: (d) => term.write(d),
        exit: (reason) => {
          setStatus(`ended: ${reason}`);
          setEnded(true);
        },
      });
      const typed = term.onData((d) => session.input(d));
      setSize(`${term.cols}x${term.rows}`);
      const sized = term.onResize(({ cols, rows }) => {
        setSize(`${cols}x${rows}`);
        session.resize(cols, rows);
      });
      const watcher = new ResizeObserver(() => fit.fit());
      watcher.observe(box.current);
      cleanup = () => {
        watcher.disconnect();
        typed.dispose();
        sized.dispose();
        session.close();
        term.dispose();
      };
      try {
        const title = await session.open(target, term.cols, term.rows);
        if (!disposed) setStatus(`connected: ${title}`);
        term.focus();
      } catch (e) {
        if (!disposed) {
          setStatus(errorText(e));
          setEnded(true);
        }
      }
    }, (e: Error) => setStatus(`the terminal failed to load: ${e.message}`));
    return () => {
      disposed = true;
      cleanup();
    };
    // `key` stands for the target's content; a new object with the same target keeps the session.
  }, [key, generation]);

  return (
    <div className="console terminal">
      <div className="console-bar">
        <span className="muted" data-testid="terminal-status">{status}</span>
        {ended && (
          <button type="button" onClick={() => setGeneration((g) => g + 1)}>
            Reconnect
          </button>
        )}
      </div>
      <div ref={box} className="terminal-screen" data-testid="terminal" data-size={size} />
    </div>
  );
}
