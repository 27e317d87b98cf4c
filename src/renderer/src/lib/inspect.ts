import { bytes } from './format';

// Reading `<kind>.inspect` outputs without depending on each backend's exact extras.

/** The console WebSocket URL, wherever the VM backend put it (console.websocket, vnc.websocket, …). */
export function consoleUrl(inspect: Record<string, unknown>): string | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown, key: string): string | undefined => {
    if (!v || seen.has(v)) return undefined;
    if (typeof v === 'string' && /websocket|ws/i.test(key) && /^wss?:\/\//.test(v)) return v;
    if (typeof v === 'number' && /websocket/i.test(key) && v > 0 && v < 65536) return `ws://127.0.0.1:${v}`;
    if (typeof v === 'object') {
      seen.add(v);
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const found = walk(x, k);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(inspect, '');
}

/** Human text for one inspect value; the key decides units (sizes, timestamps). */
export const show = (v: unknown, key = ''): string => {
  if (v === undefined || v === null || v === '') return '—';
  if (typeof v === 'number' && /(^|[a-z])(memory|size|bytes)$/i.test(key)) return bytes(v);
  if (typeof v === 'number' && /At$/.test(key) && v > 1e12) return new Date(v).toLocaleString();
  if (Array.isArray(v)) return v.length === 0 ? '—' : v.map((x) => show(x, key)).join(', ');
  if (typeof v === 'object')
    return Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined && x !== null)
      .map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x) : show(x, k)}`)
      .join(' · ');
  return String(v);
};

/** Flat key → text pairs for the overview: top-level facts, then the spec's fields. */
export function specFacts(inspect: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(inspect)) {
    if (k === 'spec' || k === 'name') continue;
    out.push([k, show(v, k)]);
  }
  const spec = inspect.spec;
  if (spec && typeof spec === 'object') for (const [k, v] of Object.entries(spec as Record<string, unknown>)) out.push([`spec.${k}`, show(v, k)]);
  return out;
}
