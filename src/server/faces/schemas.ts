import { z } from 'zod';
import { procedures } from '../../shared/contract.js';
import type { Method } from '../../shared/contract.js';

// JSON Schema (2020-12) of each procedure, straight from the contract's zod schemas, for the
// faces other programs read: MCP tools and the OpenAPI document. Computed once per process.

export type JsonSchema = Record<string, unknown>;

export interface MethodSchemas {
  /** What a caller may send (defaults optional). */
  input: JsonSchema;
  /** What comes back; a transformed field (sizes given as "2Gi") shows as any value. */
  output: JsonSchema;
}

const cache = new Map<Method, MethodSchemas>();

/** Formats JSON Schema 2020-12 defines; zod's own (e.g. "starts_with", beside its pattern) make validators warn. */
const STANDARD_FORMATS = new Set(['date-time', 'date', 'time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uri', 'uri-reference', 'uuid', 'regex', 'json-pointer']);

const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && !STANDARD_FORMATS.has(jsonSchema.format)) delete jsonSchema.format;
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
};

export function methodSchemas(method: Method): MethodSchemas {
  let s = cache.get(method);
  if (!s) {
    const def = procedures[method];
    s = { input: convert(def.input, 'input'), output: convert(def.output, 'output') };
    cache.set(method, s);
  }
  return s;
}

export const contractMethods = (): Method[] => (Object.keys(procedures) as Method[]).sort();
