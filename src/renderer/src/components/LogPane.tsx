import { useEffect, useRef, useState } from 'react';
import { clock } from '../lib/format';
import { asList, call, isMissingBackend } from '../lib/rpc';
import type { LogLine } from '../stores/logs';
import { logKey, useLogs } from '../stores/logs';

/**
 * Live log lines for one instance: history from `<kind>.logs` when the backend offers it, then
 * `log.line` events as they arrive. Follows the tail unless the user scrolled up.
 */
export function LogPane({ kind, name, stream }: { kind: 'vm' | 'capsule'; name: string; stream?: LogLine['stream'] }) {
  const all = useLogs((s) => s.lines[logKey(kind, name)]);
  const lines = (all ?? []).filter((l) => !stream || l.stream === stream);
  const [note, setNote] = useState<string>();
  const box = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useEffect(() => {
    const method = `${kind}.logs`;
    call(method, { name, tail: 200, ...(stream ? { stream } : {}) }).then(
      (out) => {
        const hist = asList<LogLine | string>(out, 'lines').map((l) =>
          typeof l === 'string' ? { kind, name, stream: stream ?? 'stdout', at: 0, line: l } : l,
        );
        useLogs.getState().seed(logKey(kind, name), hist);
      },
      (e) => setNote(isMissingBackend(e, method) ? 'Log history is not available in this build; new lines still stream live.' : undefined),
    );
  }, [kind, name, stream]);

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
        data-testid={`log-${stream ?? 'all'}`}
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
        }}
      >
        {lines.length === 0 ? <span className="muted">Waiting for output…</span> : lines.map((l, i) => (
          <div key={i} className={`log-line log-${l.stream}`}>
            {l.at > 0 && <span className="log-at">{clock(l.at)} </span>}
            {l.line}
          </div>
        ))}
      </pre>
    </div>
  );
}
