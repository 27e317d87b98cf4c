// The per-scrape model families of /metrics (VMs, capsules, switches, GPUs, tasks), written as
// Prometheus text directly. prom-client hashes and re-sorts a label object on every set and
// formats each series again at render time: with 200 items (~2,200 series, most of them the
// one-hot state families) that was about half of a scrape. The engine's own metrics (process,
// RPC histograms) stay in prom-client's registry; both are concatenated into one exposition.

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** One gauge or counter family, reset at each scrape; series keyed by their rendered labels. */
export class Family<L extends string> {
  private series = new Map<string, number>();
  constructor(
    readonly name: string,
    private readonly help: string,
    private readonly type: 'gauge' | 'counter',
    private readonly labelNames: readonly L[],
  ) {}

  private key(labels: Partial<Record<L, string | number>>): string {
    if (this.labelNames.length === 0) return '';
    let out = '{';
    for (let i = 0; i < this.labelNames.length; i++) {
      const n = this.labelNames[i]!;
      const v = labels[n];
      if (v === undefined) throw new Error(`metric ${this.name}: label "${n}" is missing`);
      out += `${i ? ',' : ''}${n}="${escapeLabel(String(v))}"`;
    }
    return out + '}';
  }

  set(labels: Partial<Record<L, string | number>>, value: number): void;
  set(value: number): void;
  set(a: Partial<Record<L, string | number>> | number, value?: number): void {
    if (typeof a === 'number') this.series.set('', a);
    else this.series.set(this.key(a), value!);
  }

  inc(labels: Partial<Record<L, string | number>>, value = 1): void {
    const k = this.key(labels);
    this.series.set(k, (this.series.get(k) ?? 0) + value);
  }

  reset(): void {
    this.series.clear();
  }

  text(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.type}\n`;
    for (const [k, v] of this.series) out += `${this.name}${k} ${formatValue(v)}\n`;
    return out;
  }
}
