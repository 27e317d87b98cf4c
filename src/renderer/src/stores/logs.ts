import { create } from 'zustand';
import type { EventPayload } from '../../../shared/contract.js';

export type LogLine = EventPayload<'log.line'>;
export const MAX_LINES = 2_000;

interface LogStore {
  lines: Record<string, LogLine[]>;
  add(l: LogLine): void;
  /** History from a logs call replaces what streamed so far (it already contains it). */
  replace(key: string, lines: LogLine[]): void;
}

export const logKey = (kind: string, name: string): string => `${kind}/${name}`;

export const useLogs = create<LogStore>((set, get) => ({
  lines: {},
  add: (l) => {
    const key = logKey(l.kind, l.name);
    const prev = get().lines[key] ?? [];
    // A line can arrive both in a history answer and as an event: keep one.
    if (prev.slice(-50).some((p) => p.at === l.at && p.stream === l.stream && p.line === l.line)) return;
    set({ lines: { ...get().lines, [key]: [...prev, l].slice(-MAX_LINES) } });
  },
  replace: (key, lines) => {
    // Keep streamed lines newer than the history's last one (they arrived while it loaded).
    const lastAt = lines[lines.length - 1]?.at ?? 0;
    const seen = new Set(lines.map((l) => `${l.at}|${l.stream}|${l.line}`));
    const newer = (get().lines[key] ?? []).filter((l) => l.at >= lastAt && !seen.has(`${l.at}|${l.stream}|${l.line}`));
    set({ lines: { ...get().lines, [key]: [...lines, ...newer].slice(-MAX_LINES) } });
  },
}));
