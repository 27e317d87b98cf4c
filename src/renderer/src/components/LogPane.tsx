import { useEffect, useRef, useState } from 'react';
import { clock } from '../lib/format';
import { call, errorText } from '../lib/rpc';
import type { LogLine } from '../stores/logs';
import { logKey, useLogs } from '../stores/logs';

export const SERIAL_POLL_MS = 1_500;

// Terminal control sequences (colours, cursor moves, OSC titles) and stray control characters
// that guests and programs write: shown as the text they decorate, never as "\x1b[0;32m".
const CONTROL = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]/g;
export const plainText = (line: string): string => line.replace(CONTROL, '');

/**
 * Live output of one instance. VMs: the serial log (`vm.logs`), re-read every 1.5 s while open.
 * Capsules: history from `capsule.logs`, then `log.line` events as they arrive.
 * Follows the tail unless the user scrolled up.
 */
export function LogPane({ kind, name }: { kind: 'vm' | 'capsule'; name: string }) {
  const key = logKey(kind, name);
  const streamed = useLogs((s) => s.lines[key]);
  const [serial, setSerial] = useState<string[]>();
  const [note, setNote] = useState<string>();
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    if (kind !== 'vm') return;
    let stop = false;
    const read = () =>
      call('vm.logs', { name, tail: 1000 }).then(
        (out) => !stop && (setSerial(out.lines), setNote(undefined)),
        (e) => !stop && setNote(errorText(e)),
      );
    void read();
    const t = setInterval(() => void read(), SERIAL_POLL_MS);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [kind, name]);

  useEffect(() => {
    if (kind !== 'capsule') return;
    call('capsule.logs', { name, tail: 500 }).then(
      (out) => useLogs.getState().replace(key, out.lines.map((l) => ({ kind, name, ...l }))),
      (e) => setNote(errorText(e)),
    );
  }, [kind, name, key]);

  const lines: Pick<LogLine, 'at' | 'stream' | 'line'>[] = kind === 'vm' ? (serial ?? []).map((line) => ({ at: 0, stream: 'serial', line })) : (streamed ?? []);
  useEffect(() => {
    const el = box.current;
    if (el && follow.current) el.scrollTop = el.scrollHeight;
  }, [lines.length]);

  return (
    <div className="log-pane">
      {note && <p className="muted">{note}</p>}
      <pre
        ref={box}
        className="log"
        data-testid={kind === 'vm' ? 'serial-log' : 'capsule-log'}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        }}
      >
        {lines.length === 0 ? (
          <span className="muted">Waiting for output…</span>
        ) : (
          lines.map((l, i) => (
            <div key={i} className={`log-line log-${l.stream}`}>
              {l.at > 0 && <span className="log-at">{clock(l.at)} </span>}
              {plainText(l.line)}
            </div>
          ))
        )}
      </pre>
    </div>
  );
}
