import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { lazy } from './lazy.js';

describe('lazy schemas', () => {
  it('builds the schema on first use, once', () => {
    let built = 0;
    const s = lazy(() => {
      built++;
      return z.object({ a: z.string() });
    });
    expect(built).toBe(0);
    expect(s.parse({ a: 'x' })).toEqual({ a: 'x' });
    expect(s.safeParse({ a: 1 }).success).toBe(false);
    expect(Object.keys(s.shape)).toEqual(['a']);
    expect(s instanceof z.ZodObject).toBe(true);
    expect(built).toBe(1);
  });

  it('gives the same JSON Schema as the schema built eagerly, metadata and defaults included', () => {
    const make = () => {
      const name = z.string().regex(/^[a-z]+$/).describe('a name');
      const inner = z.object({ n: z.number().default(3) }).default({ n: 3 });
      return z.object({ name, inner, list: z.array(name).optional() });
    };
    const lazyMake = () => {
      const name = lazy(() => z.string().regex(/^[a-z]+$/).describe('a name'));
      const inner = lazy(() => z.object({ n: z.number().default(3) }).default({ n: 3 }));
      return lazy(() => z.object({ name, inner, list: z.array(name).optional() }));
    };
    for (const io of ['input', 'output'] as const) {
      expect(z.toJSONSchema(lazyMake(), { io })).toEqual(z.toJSONSchema(make(), { io }));
    }
    expect(lazyMake().parse({ name: 'ab', inner: undefined })).toEqual({ name: 'ab', inner: { n: 3 } });
  });
});
