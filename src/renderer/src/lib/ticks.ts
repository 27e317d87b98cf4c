/**
 * Axis ticks for a byte quantity up to `max`: 0 and whole steps of a power of two (512 MiB,
 * 1 GiB, 2 GiB, …), at most 5 intervals, the last at or above `max` — never 0/9/18/36.
 */
export function byteTicks(max: number): number[] {
  if (!(max > 0)) return [0];
  const step = 2 ** Math.ceil(Math.log2(max / 4));
  const ticks: number[] = [];
  for (let v = 0; ticks.length === 0 || ticks.at(-1)! < max; v += step) ticks.push(v);
  return ticks;
}

/**
 * Axis ticks for a plain quantity (CPU %, processes, counts) up to `max`: 0 and whole steps of
 * 1, 2 or 5 × 10ⁿ, at most 4 intervals, the last at or above `max` (0/25/50/75, never 0/9/18/36).
 * `whole`: the quantity is a count, so the step is at least 1 and a whole number.
 */
export function niceTicks(max: number, whole = false): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  // Counts (processes, OOM kills) step by whole numbers: 0/1/2, never 0/0.5/1/1.5/2.
  const step = whole ? Math.max(1, Math.ceil(nice)) : nice;
  const ticks: number[] = [];
  for (let i = 0; ticks.length === 0 || ticks.at(-1)! < max; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Ticks for a chart's y axis: round sizes for bytes, round (or whole, for counts) numbers otherwise; never a single 0. */
export function axisTicks(max: number, isBytes: boolean, whole = false): number[] {
  const ticks = isBytes ? byteTicks(max) : niceTicks(max, whole);
  return ticks.length > 1 ? ticks : isBytes ? [0, 1024] : [0, 1];
}
