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
