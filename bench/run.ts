// `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line), prints a
// table and leaves bench/results/*.json.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchResult } from './types.js';

const only = process.argv.slice(2);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const rows: BenchResult[] = [];
let failed = 0;
for (const f of files) {
  process.stderr.write(`running ${f}…\n`);
  try {
    const mod = (await import(pathToFileURL(join(import.meta.dirname, f)).href)) as { run(): Promise<BenchResult | BenchResult[]> };
    const r = await mod.run();
    rows.push(...(Array.isArray(r) ? r : [r]));
  } catch (e) {
    failed++;
    process.stderr.write(`  ${f} failed: ${(e as Error).message}\n`);
  }
}

const fmt = (n: number | null) => (n === null ? '-' : n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3));
const cols = ['NAME', 'VALUE', 'P10-P90', 'BASELINE', 'P10-P90', 'RUNS', 'RATIO', 'GOAL', 'MET'];
const range = (s?: [number, number]) => (s ? `${fmt(s[0])}-${fmt(s[1])}` : '-');
const table = rows.map((r) => [
  r.name,
  `${fmt(r.value)} ${r.unit}`,
  range(r.spread?.value),
  r.baseline === null ? '-' : `${fmt(r.baseline)} ${r.unit}`,
  range(r.spread?.baseline),
  r.spread ? String(r.spread.runs) : '-',
  r.ratio === null ? '-' : `${fmt(r.ratio)}x`,
  r.goal,
  r.met === undefined ? '-' : r.met ? 'MET' : 'MISSED',
]);
const widths = cols.map((c, i) => Math.max(c.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
console.log([line(cols), ...table.map(line)].join('\n'));
console.log(`\n${rows.map((r) => `${r.name}: ${r.metric}${r.notes ? ` (${r.notes})` : ''}`).join('\n')}`);
console.log(`\n${rows.length} results in bench/results/${failed ? `, ${failed} bench file(s) failed` : ''}`);
process.exit(failed ? 1 : 0);
