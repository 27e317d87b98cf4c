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
    set({ lines: { ...get().lines, [key]: [...prev, l].slice(-MAX_LINES) } });
  },
  replace: (key, lines) => {
    // Keep streamed lines newer than the history's last one (they arrived while it loaded).
    const lastAt = lines[lines.length - 1]?.at ?? 0;
    const newer = (get().lines[key] ?? []).filter((l) => l.at > lastAt);
    set({ lines: { ...get().lines, [key]: [...lines, ...newer].slice(-MAX_LINES) } });
  },
}));
