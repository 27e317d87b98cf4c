import { open, readFile, stat } from 'node:fs/promises';
import { redactText } from '../../shared/redact.js';
import type { EngineContext } from '../context.js';
import { capsuleLayout } from './layout.js';
import { getRecord, secretsOf } from './records.js';
import { deriveStatus } from './status.js';

// The supervisor writes one line per output line: "<ISO time> <stdout|stderr> <text>".
// Reading is redacted (env values are secrets); `cursor` is a byte offset for --follow.

export interface LogLine {
  at: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

export function parseLogLine(raw: string): LogLine | undefined {
  const a = raw.indexOf(' ');
  const b = raw.indexOf(' ', a + 1);
  if (a < 0 || b < 0) return undefined;
  const at = Date.parse(raw.slice(0, a));
  const stream = raw.slice(a + 1, b);
  if (Number.isNaN(at) || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  return { at, stream, line: raw.slice(b + 1) };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 };
export function sinceMs(since: number | string | undefined, now: number): number | undefined {
  if (since === undefined) return undefined;
  if (typeof since === 'number') return since;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(since);
  return m ? now - Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}

export interface LogsQuery {
  name: string;
  since?: number | string;
  tail?: number;
  cursor?: number;
}

export async function readLogs(engine: EngineContext, q: LogsQuery): Promise<{ lines: LogLine[]; cursor: number; running: boolean }> {
  const rec = await getRecord(engine.paths, q.name);
  const layout = capsuleLayout(engine.paths, q.name);
  const size = (await stat(layout.logFile).catch(() => undefined))?.size ?? 0;
  let text = '';
  let start = q.cursor ?? 0;
  if (start > size) start = 0; // rotated since the last read
  if (q.cursor === undefined) text = (await readFile(`${layout.logFile}.1`, 'utf8').catch(() => '')) + (await readFile(layout.logFile, 'utf8').catch(() => ''));
  else if (size > start) {
    const fh = await open(layout.logFile, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  }
  // Only complete lines: a half-written last line is read on the next call.
  const end = text.lastIndexOf('\n');
  const complete = end >= 0 ? text.slice(0, end) : '';
  const cursor = q.cursor === undefined ? size : start + Buffer.byteLength(end >= 0 ? text.slice(0, end + 1) : '');
  const from = sinceMs(q.since, engine.clock.now());
  const secrets = secretsOf(rec);
  let lines = complete
    .split('\n')
    .map(parseLogLine)
    .filter((l): l is LogLine => Boolean(l) && (from === undefined || l!.at >= from))
    .map((l) => ({ ...l, line: redactText(l.line, secrets) }));
  if (q.tail !== undefined) lines = lines.slice(-q.tail);
  const st = await deriveStatus(engine, rec);
  return { lines, cursor, running: st.state === 'running' || st.state === 'paused' || st.state === 'restarting' };
}
