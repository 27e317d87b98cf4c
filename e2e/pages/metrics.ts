import type { Locator, Page } from '@playwright/test';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** One chart of the Metrics tab, by its caption ("Memory", "Processes", …). */
export function chart(page: Page, caption: string): Locator {
  return page.getByTestId('metrics-charts').locator('figure.chart').filter({ has: page.locator('figcaption', { hasText: new RegExp(`^${caption}$`) }) });
}

/** The y axis tick labels of a chart, bottom to top. */
export async function yTicks(page: Page, caption: string): Promise<string[]> {
  const labels = await chart(page, caption).locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
  return labels.map((l) => l.trim());
}

/** "1.5 MiB" → bytes; NaN when it is not a byte label. */
export function parseBytes(label: string): number {
  const m = /^(\d+(?:\.\d+)?) (B|KiB|MiB|GiB|TiB)$/.exec(label);
  return m ? Number(m[1]) * UNITS[m[2]!]! : Number.NaN;
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * What is wrong with a y axis's ticks, or '' when they are round: they start at 0 and step evenly
 * by a power of two (bytes) or by a whole number (counts). recharts' own pick reads 0/0.5/1/1.5
 * processes or 0/293 KiB/586 KiB of memory.
 */
export function roundAxisProblem(labels: string[], as: 'bytes' | 'count'): string {
  const values = labels.map((l) => (as === 'bytes' ? parseBytes(l) : Number(l)));
  if (values.length < 2) return `fewer than two ticks: ${labels.join(' / ')}`;
  const step = values[1]!;
  const even = values.every((v, i) => Math.abs(v - i * step) <= 0.005 * step);
  const round = as === 'bytes' ? isPowerOfTwo(step) : Number.isInteger(step) && step >= 1;
  return values[0] === 0 && even && round ? '' : `not round (${as}): ${labels.join(' / ')}`;
}
