// Field-by-field comparison of a declared spec with the spec a backend stored. Reasons name the
// field and show old → new, except for secrets (env.*), which only say that they changed.
import { isSecretKey } from '../../shared/redact.js';
import { formatBytes } from '../../shared/sizes.js';

export interface FieldChange {
  /** Dotted path inside the spec: "memory", "limits.cpu", "env.API_KEY". */
  field: string;
  reason: string;
}

// Keys whose numbers are byte sizes (shown as "512 MiB").
const SIZE_KEYS = new Set(['memory', 'size', 'read_bps', 'write_bps']);
// Objects compared key by key in both directions: a key only on the host was removed here.
const EXACT_OBJECTS = new Set(['env']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Order-independent deep equality for JSON-like values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

function show(value: unknown, key: string): string {
  if (value === undefined) return '(unset)';
  if (typeof value === 'number' && SIZE_KEYS.has(key)) return formatBytes(value);
  return JSON.stringify(value);
}

const secretPath = (path: string[]): boolean => path.some((p) => p === 'env' || isSecretKey(p));

/**
 * Changes from `observed` to `declared`. A key the NovaFile leaves unset is the backend's to
 * fill (a generated MAC, a default) and is not a change — unless `previous` (what the last `up`
 * applied) had set it: then the user removed it, and that is a change.
 */
export function diffSpec(declared: unknown, observed: unknown, previous?: unknown, path: string[] = []): FieldChange[] {
  const out: FieldChange[] = [];
  const key = path[path.length - 1] ?? '';
  const exact = EXACT_OBJECTS.has(key);
  // A backend may omit empty defaults: [] or {} declared and nothing stored is no change.
  if (observed === undefined && ((Array.isArray(declared) && declared.length === 0) || (isObject(declared) && Object.keys(declared).length === 0))) return out;
  if (isObject(declared) && (isObject(observed) || observed === undefined)) {
    observed ??= {};
    const prev = isObject(previous) ? previous : {};
    const obs = observed as Record<string, unknown>;
    const keys = new Set([...Object.keys(declared), ...Object.keys(obs)]);
    for (const k of [...keys].sort()) {
      const d = declared[k];
      const o = obs[k];
      if (d === undefined && !exact && prev[k] === undefined) continue;
      if (d === undefined && o === undefined) continue;
      out.push(...diffSpec(d, o, prev[k], [...path, k]));
    }
    return out;
  }
  if (deepEqual(declared, observed)) return out;
  const field = path.join('.');
  if (secretPath(path)) {
    const what = observed === undefined ? 'added' : declared === undefined ? 'removed' : 'changed';
    out.push({ field, reason: `${field}: ${what} (value hidden)` });
  } else {
    out.push({ field, reason: `${field}: ${show(observed, key)} → ${show(declared, key)}` });
  }
  return out;
}
