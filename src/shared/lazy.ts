import { globalRegistry } from 'zod';

// Schemas built on first use. Building zod schemas is most of what loading the contract costs
// (a cold `nova ls` built all ~300 procedures' schemas and the NovaFile's before listing anything),
// so the contract's schemas are declared as `lazy(() => z.object(…))`: the value is a stand-in
// that builds the schema the first time anything reads from it, then forwards every operation to
// it. Types are unchanged (the stand-in is typed as the schema), and so is behaviour: parse,
// methods (bound to the built schema), `instanceof`, shape, metadata in JSON Schema.

/** A stand-in for the object `make()` returns, built the first time it is used. */
export function lazy<T extends object>(make: () => T): T {
  let real: T | undefined;
  let internals: object | undefined;
  let proxy: T;
  const get = (): T => {
    if (real === undefined) {
      real = make();
      // Metadata (.describe/.meta) is registered on the built schema; a parent schema holding the
      // stand-in looks it up by the stand-in (z.toJSONSchema), so register it there too.
      const meta = globalRegistry.get(real as never);
      if (meta !== undefined) globalRegistry.add(proxy as never, meta as never);
    }
    return real;
  };
  proxy = new Proxy({} as T, {
    get: (_t, key) => {
      const r = get();
      if (key === '_zod') return (internals ??= jsonSchemaAlias(proxy, r));
      return Reflect.get(r, key, r);
    },
    set: (_t, key, value) => Reflect.set(get(), key, value),
    has: (_t, key) => Reflect.has(get(), key),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      // The stand-in's own target is empty: a proxy may not report a non-configurable property it lacks.
      return d && { ...d, configurable: true };
    },
    defineProperty: (_t, key, d) => Reflect.defineProperty(get(), key, d),
    deleteProperty: (_t, key) => Reflect.deleteProperty(get(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(get()),
  });
  return proxy;
}

/**
 * A schema's internals, as seen through its stand-in. z.toJSONSchema keys what it has seen of a
 * schema by the object it was given (the stand-in, when another schema holds one), while the
 * schema's own JSON Schema processor looks itself up by the built schema: both keys name one entry.
 */
function jsonSchemaAlias(proxy: object, real: object): object {
  const zod = (real as { _zod: { processJSONSchema?: (ctx: { seen: Map<object, unknown> }, ...rest: unknown[]) => unknown } })._zod;
  if (typeof zod !== 'object' || zod === null || !zod.processJSONSchema) return zod;
  return new Proxy(zod, {
    get: (t, key) => {
      const v = Reflect.get(t, key, t);
      if (key !== 'processJSONSchema' || typeof v !== 'function') return v;
      return (ctx: { seen: Map<object, unknown> }, ...rest: unknown[]) => {
        const seen = ctx.seen.get(proxy);
        if (seen !== undefined && !ctx.seen.has(real)) ctx.seen.set(real, seen);
        return (v as (...a: unknown[]) => unknown).call(t, ctx, ...rest);
      };
    },
  });
}
