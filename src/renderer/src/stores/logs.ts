import { create } from 'zustand';
import type { EventPayload } from '../../../shared/contract.js';

export type LogLine = EventPayload<'log.line'>;
export const MAX_LINES = 2_000;

interface LogStore {
  lines: Record<string, LogLine[]>;
  add(l: LogLine): void;
  seed(key: string, lines: LogLine[]): void;
}

export const logKey = (kind: string, name: string): string => `${kind}/${name}`;

export const useLogs = create<LogStore>((set, get) => ({
  lines: {},
  add: (l) => {
    const key = logKey(l.kind, l.name);
    const prev = get().lines[key] ?? [];
    set({ lines: { ...get().lines, [key]: [...prev, l].slice(-MAX_LINES) } });
  },
  seed: (key, lines) => set({ lines: { ...get().lines, [key]: [...lines, ...(get().lines[key] ?? [])].slice(-MAX_LINES) } }),
}));
