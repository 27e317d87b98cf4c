import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';
import { THEMES } from '../themes.js';

export { THEMES };

// Preferences shared by the app (electron-store) and plain Node (a JSON file): same keys.

export const prefsSchema = lazy(() => z.object({
  theme: z.enum(THEMES).default('tokyo-night-storm'),
  gpuFilters: z
    .object({ vendor: z.array(z.string()).default([]), generation: z.array(z.string()).default([]), host: z.array(z.string()).default([]) })
    .default({ vendor: [], generation: [], host: [] }),
  expandedCards: z.array(z.string()).default([]),
  captureScanSeconds: z.number().int().min(15).max(120).default(30),
  monitoring: z
    .record(
      z.string(),
      z.object({
        pollSeconds: z.number().int().min(5).max(60).default(5),
        offlineThreshold: z.number().int().min(1).max(100).default(3),
        notify: z.boolean().default(true),
      }),
    )
    .default({}),
  notifications: z.boolean().default(true),
  /** Extra folders Nova may bind into capsules, read disk images/ISOs from and write outputs to. */
  allowedRoots: z.array(z.string().startsWith('/', 'write an absolute folder like "/srv/vm-images"')).default([]),
  /** Folders added as storage pools (the default pool under the data dir is implicit). */
  storagePools: z.array(z.object({ name: z.string(), path: z.string() })).default([]),
  window: z
    .object({ x: z.number().optional(), y: z.number().optional(), width: z.number(), height: z.number(), maximized: z.boolean().default(false) })
    .optional(),
}));
export type Prefs = z.infer<typeof prefsSchema>;
export const prefKey = lazy(() => z.enum(Object.keys(prefsSchema.shape) as [keyof Prefs, ...(keyof Prefs)[]]));
export type PrefKey = keyof Prefs;

export const prefsProcedures = {
  'prefs.get': procedure({
    summary: 'All preferences, with defaults filled in',
    input: lazy(() => z.object({}).strict().default({})),
    output: prefsSchema,
  }),
  'prefs.set': procedure({
    summary: 'Change one preference (validated; persisted atomically)',
    input: lazy(() => z.object({ key: prefKey, value: z.unknown() }).strict()),
    output: prefsSchema,
  }),
};
