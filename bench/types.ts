import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One measured figure, as every bench writes it to bench/results/<name>.json. */
export interface BenchResult {
  name: string;
  metric: string;
  unit: string;
  value: number;
  /** The raw tool's figure in the same run, where there is one. */
  baseline: number | null;
  /** value / baseline (or value / goal when there is no baseline). */
  ratio: number | null;
  /** Human-readable target, e.g. "< 10 ms" or "<= 1.3x". */
  goal: string;
  /** Did this run meet the goal? */
  met?: boolean;
  /** p10–p90 of each side and the run count, for interleaved samples (see bench/sample.ts). */
  spread?: { value: [number, number]; baseline?: [number, number]; runs: number };
  notes?: string;
}

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export async function saveResult(r: BenchResult): Promise<BenchResult> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `${r.name}.json`), `${JSON.stringify({ ...r, at: new Date().toISOString() }, null, 2)}\n`);
  return r;
}

export function percentile(samples: number[], p: number): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
