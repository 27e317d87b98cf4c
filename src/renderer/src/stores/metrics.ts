import { create } from 'zustand';
import type { EventPayload } from '../../../shared/contract.js';

export type Sample = EventPayload<'metrics.sample'>;
export const MAX_SAMPLES = 120;

interface MetricsStore {
  /** `${kind}/${name}` → oldest..newest samples. */
  series: Record<string, Sample[]>;
  add(s: Sample): void;
}

export const seriesKey = (kind: string, name: string): string => `${kind}/${name}`;
/** This host's CPU and memory samples (the engine publishes them as kind "host", name "local"). */
export const HOST_SERIES = seriesKey('host', 'local');

export const useMetrics = create<MetricsStore>((set, get) => ({
  series: {},
  add: (s) => {
    const key = seriesKey(s.kind, s.name);
    const prev = get().series[key] ?? [];
    const next = prev.length >= MAX_SAMPLES ? [...prev.slice(prev.length - MAX_SAMPLES + 1), s] : [...prev, s];
    set({ series: { ...get().series, [key]: next } });
  },
}));

export const interfacesSeen = (series: Record<string, Sample[]>): string[] =>
  Object.keys(series)
    .filter((k) => k.startsWith('interface/'))
    .map((k) => k.slice('interface/'.length))
    .sort();
