// Interleaved A/B of the UI cold start (#24): the bench's own measurement (ui-cold.bench.ts: new
// `nova serve` up → dashboard interactive in a new browser context, seen from inside the page,
// a raw mouse click) for two or more builds of the renderer, run one after another in each round
// (order alternated), so a noisy machine's load falls on every variant alike. Not a bench (no
// *.bench.ts): run it by hand after `npm run build`, with copies of out/renderer to compare:
//   cp -r out/renderer /tmp/A; …change, build…; cp -r out/renderer /tmp/B
//   flock /tmp/nova-heavy.lock node --import tsx bench/ui-cold-ab.ts 5 /tmp/A /tmp/B
// AB_TRACE=1 also records a Chromium trace of each run and reports the page's main-thread CPU time
// (the trace's thread time, which a loaded machine inflates far less than wall time) from its
// navigation to the click handled, by kind (script, style + layout, CSS parse…); AB_TRACE_DIR=dir
// keeps each trace there (ab-ROUND-VARIANT.json).
// Each run copies the variant into out/renderer before `nova serve` starts (it reads it into
// memory); out/renderer is left holding the last variant run.
import { cp, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { stopProcess } from '../e2e/weston.js';
import { blankLoad, dashboardInteractive, ITEMS, openUiLab, startServe } from './ui-cold.bench.js';

const ROOT = resolve(import.meta.dirname, '..');
const ROUNDS = Number(process.argv[2] ?? 5);
const VARIANTS = process.argv.slice(3);
if (VARIANTS.length < 1) throw new Error('usage: ui-cold-ab.ts rounds dirA [dirB …]');

const token = `ab-${process.pid}`;
const lab = await openUiLab('nova-ab-ui-cold-', token);
const { env, tokenFile, browser } = lab;
const res: Record<string, { up: number[]; blank: number[]; counts: number[]; clicked: number[]; cpu: Record<string, number>[] }> = Object.fromEntries(VARIANTS.map((v) => [v, { up: [], blank: [], counts: [], clicked: [], cpu: [] }]));
const TRACE = process.env.AB_TRACE === '1';
interface Ev { name: string; ph: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: { data?: { documentLoaderURL?: string } } }
/** The page's main-thread CPU ms from its navigation on: in all, and in what kinds of work. */
function cpuOf(trace: Buffer, url: string): Record<string, number> {
  const ev = (JSON.parse(trace.toString()) as { traceEvents: Ev[] }).traceEvents;
  const nav = ev.find((e) => e.name === 'navigationStart' && e.args?.data?.documentLoaderURL?.startsWith(url));
  if (!nav) return {};
  const mine = ev.filter((e) => e.pid === nav.pid && e.tid === nav.tid && e.ph === 'X' && e.ts >= nav.ts).sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const out: Record<string, number> = { total: 0 };
  let end = 0;
  for (const e of mine) {
    if (e.name !== 'ThreadControllerImpl::RunTask' || e.ts < end) continue;
    end = e.ts + (e.dur ?? 0);
    out.total! += (e.tdur ?? 0) / 1000;
  }
  const kinds: Record<string, string> = { ParseAuthorStyleSheet: 'css', 'v8.evaluateModule': 'evalModule', FunctionCall: 'fn', EvaluateScript: 'script', UpdateLayoutTree: 'style', Layout: 'layout', Paint: 'paint', ParseHTML: 'html' };
  const open: Record<string, number> = {};
  for (const e of mine) {
    const k = kinds[e.name];
    if (!k || e.ts < (open[k] ?? 0)) continue; // nested in one of the same kind
    open[k] = e.ts + (e.dur ?? 0);
    out[k] = (out[k] ?? 0) + (e.tdur ?? 0) / 1000;
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)]));
}
const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN; };
try {
  for (let r = 0; r <= ROUNDS; r++) {
    const order = r % 2 ? [...VARIANTS].reverse() : VARIANTS;
    for (const v of order) {
      await rm(join(ROOT, 'out', 'renderer'), { recursive: true, force: true });
      await cp(v, join(ROOT, 'out', 'renderer'), { recursive: true });
      const serve = await startServe(env, tokenFile);
      try {
        let m = { origin: 0, counts: 0, clicked: 0 };
        if (TRACE) await browser.startTracing(undefined, { screenshots: false });
        const ready = await dashboardInteractive(browser, serve.url, token, ITEMS, { inPage: (x) => (m = x) });
        const trace = TRACE ? await browser.stopTracing() : undefined;
        if (trace && process.env.AB_TRACE_DIR) await writeFile(join(process.env.AB_TRACE_DIR, `ab-${r}-${VARIANTS.indexOf(v)}.json`), trace);
        const cpu = trace ? cpuOf(trace, serve.url) : {};
        const blank = await blankLoad(browser, serve.url);
        if (r === 0) continue; // warm-up
        res[v]!.up.push(ready - serve.upAt);
        res[v]!.blank.push(blank);
        res[v]!.counts.push(m.counts - m.origin);
        if (TRACE) res[v]!.cpu.push(cpu);
        res[v]!.clicked.push(m.clicked - m.origin);
        console.log(JSON.stringify({ round: r, variant: v, up: Math.round(ready - serve.upAt), upToNav: Math.round(m.origin - serve.upAt), navToCounts: Math.round(m.counts - m.origin), navToClicked: Math.round(m.clicked - m.origin), blank: Math.round(blank), cpu, load: loadavg()[0]!.toFixed(2) }));
      } finally {
        await stopProcess(serve.child);
      }
    }
  }
} finally {
  await lab.close();
}
for (const v of VARIANTS) if (TRACE) console.log(`${v}: page main-thread CPU ms, medians: ${Object.keys(res[v]!.cpu[0] ?? {}).map((k) => `${k} ${median(res[v]!.cpu.map((c) => c[k] ?? 0)).toFixed(0)}`).join(', ')}`);
for (const v of VARIANTS) console.log(`${v}: up→interactive median ${median(res[v]!.up).toFixed(0)} ms [${res[v]!.up.map(Math.round).join(', ')}], blank new context ${median(res[v]!.blank).toFixed(0)} ms; in the page, navigation → counts ${median(res[v]!.counts).toFixed(0)} ms [${res[v]!.counts.map(Math.round).join(', ')}], → click handled ${median(res[v]!.clicked).toFixed(0)} ms [${res[v]!.clicked.map(Math.round).join(', ')}]`);
process.exit(0);
