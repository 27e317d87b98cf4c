// Every string field of every procedure's input, found by walking the zod schemas of the
// contract: tests use it to make sure each field that could carry a host path is either checked
// by a policy or listed with the reason it is not one (a new path field fails those tests).
import type { z } from 'zod';
import { procedures } from '../shared/contract.js';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  items?: z.ZodType[];
  options?: z.ZodType[];
  left?: z.ZodType;
  right?: z.ZodType;
  in?: z.ZodType;
  valueType?: z.ZodType;
  catchall?: z.ZodType;
  getter?: () => z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);
/** Kinds that cannot carry text chosen by the caller. */
const SCALARS = new Set(['number', 'boolean', 'enum', 'literal', 'int', 'bigint', 'null', 'undefined', 'never', 'transform']);

function walk(s: z.ZodType, at: string, out: Set<string>, depth: number): void {
  const d = defOf(s);
  const key = (k: string) => (at ? `${at}.${k}` : k);
  if (depth > 12) return;
  if (d.type === 'object') {
    for (const [k, v] of Object.entries(d.shape ?? {})) walk(v, key(k), out, depth + 1);
    if (d.catchall && !['never', 'unknown'].includes(defOf(d.catchall).type)) walk(d.catchall, key('*'), out, depth + 1);
  } else if (WRAPPERS.has(d.type)) walk(d.innerType!, at, out, depth + 1);
  else if (d.type === 'array') walk(d.element!, `${at}[]`, out, depth + 1);
  else if (d.type === 'tuple') d.items!.forEach((x, i) => walk(x, `${at}[${i}]`, out, depth + 1));
  else if (d.type === 'union') for (const o of d.options!) walk(o, at, out, depth + 1);
  else if (d.type === 'intersection') {
    walk(d.left!, at, out, depth + 1);
    walk(d.right!, at, out, depth + 1);
  } else if (d.type === 'pipe') walk(d.in!, at, out, depth + 1);
  else if (d.type === 'lazy') walk(d.getter!(), at, out, depth + 1);
  else if (d.type === 'record') walk(d.valueType!, key('*'), out, depth + 1);
  else if (!SCALARS.has(d.type)) out.add(at); // string, template literal, unknown/any (free text)
}

/** `method field` for each string (or free-form) leaf of each procedure's input, e.g. "vm.create spec.disks[].path". */
export function inputStringFields(): string[] {
  const out: string[] = [];
  for (const [m, p] of Object.entries(procedures)) {
    const fields = new Set<string>();
    walk(p.input, '', fields, 0);
    for (const f of fields) out.push(`${m} ${f}`);
  }
  return out;
}
