import { bytes } from './format';

// `<kind>.inspect` outputs as overview text: every field the contract declares, spec last.

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

interface GuestFacts { agent: boolean; reason?: string; os?: string; hostname?: string; interfaces?: { name: string; mac?: string; addresses: string[] }[] }
interface GuestMemory { totalBytes: number; usedBytes: number; availableBytes: number; source: string }

/** What a VM's guest agent reports, one row per fact (OS, hostname, each NIC's addresses). */
export function guestFacts(g: GuestFacts | undefined, mem?: GuestMemory): [string, string][] {
  const out: [string, string][] = [];
  if (g && !g.agent) out.push(['guest', g.reason ?? 'no guest agent']);
  if (g?.agent) {
    out.push(['guest OS', g.os ?? '—'], ['guest hostname', g.hostname ?? '—']);
    for (const n of g.interfaces ?? []) out.push([`guest ${n.name}`, `${n.addresses.join(', ') || 'no address'}${n.mac ? ` (${n.mac})` : ''}`]);
  }
  if (mem) out.push(['guest memory', `${bytes(mem.usedBytes)} used of ${bytes(mem.totalBytes)} (${bytes(mem.availableBytes)} available, ${mem.source})`]);
  return out;
}

/** Flat key → text pairs for the overview: top-level facts, then the spec's fields. */
export function specFacts(inspect: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(inspect)) {
    if (k === 'spec' || k === 'name' || k === 'guestMemory') continue;
    if (k === 'guest') out.push(...guestFacts(v as GuestFacts, inspect.guestMemory as GuestMemory | undefined));
    else out.push([k, show(v, k)]);
  }
  const spec = inspect.spec;
  if (spec && typeof spec === 'object') for (const [k, v] of Object.entries(spec as Record<string, unknown>)) out.push([`spec.${k}`, show(v, k)]);
  return out;
}
