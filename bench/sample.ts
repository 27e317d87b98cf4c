// Shared by the benches: interleaved sampling of two sides, medians with their spread, and raw
// tools run directly (not through Nova's runner) so that a failing raw command fails the bench.
import { execFile, spawnSync } from 'node:child_process';
import { percentile } from './types.js';

/** Median and the p10–p90 spread of a sample, so a reader sees whether noise could flip it. */
export interface Spread {
  median: number;
  p10: number;
  p90: number;
  n: number;
}

export function spreadOf(xs: readonly number[]): Spread {
  if (xs.length === 0) throw new Error('no samples');
  return { median: percentile([...xs], 50), p10: percentile([...xs], 10), p90: percentile([...xs], 90), n: xs.length };
}

/** `NOVA_BENCH_RUNS` overrides every bench's run count (e.g. 3 for a quick check that it works). */
export function runsOr(fallback: number): number {
  const n = Number(process.env.NOVA_BENCH_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/**
 * Runs two sides ABAB…, swapping which goes first every pair (ABBA), so load drift and whatever
 * one run leaves the next (page cache, freed blocks, a just-torn-down process) hit both alike.
 * Each side returns the milliseconds it measured itself (setup and teardown stay outside).
 */
export async function interleave(
  a: () => Promise<number> | number,
  b: () => Promise<number> | number,
  runs: number,
  warmup = 1,
): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < runs + warmup; i++) {
    let x: number;
    let y: number;
    if (i % 2 === 0) {
      x = await a();
      y = await b();
    } else {
      y = await b();
      x = await a();
    }
    if (i >= warmup) {
      out.a.push(x);
      out.b.push(y);
    }
  }
  return out;
}

/** Times one async step. */
export async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * Runs a raw tool directly (argv, optional stdin); a non-zero exit throws with its stderr.
 * `detaches`: the tool leaves a child holding its stdio (`crun run -d`, dnsmasq), so stderr is not
 * piped (reading it to the end would wait for that child).
 */
export function rawRun(argv: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; detaches?: boolean } = {}): void {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    env: opts.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'ignore', opts.detaches ? 'ignore' : 'pipe'],
    encoding: 'utf8',
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`raw \`${argv.join(' ')}\` failed (exit ${r.status})${r.stderr ? `: ${r.stderr.trim()}` : ''}`);
}

/** The fields every interleaved result carries: the spread of both sides and the run count. */
export function spreadFields(value: Spread, baseline?: Spread): { spread: { value: [number, number]; baseline?: [number, number]; runs: number } } {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    spread: {
      value: [round(value.p10), round(value.p90)],
      ...(baseline ? { baseline: [round(baseline.p10), round(baseline.p90)] as [number, number] } : {}),
      runs: value.n,
    },
  };
}

/** The async form of rawRun for reads that run side by side; resolves to stdout. */
export function rawRead(argv: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(argv[0]!, argv.slice(1), { maxBuffer: 1 << 26 }, (err, stdout, stderr) => (err ? reject(new Error(`raw \`${argv.join(' ')}\` failed: ${stderr || err.message}`)) : resolve(stdout))),
  );
}
