import { z } from 'zod';
import { RESOURCE_KINDS } from '../names.js';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

export const resourceKind = lazy(() => z.enum(RESOURCE_KINDS));

/** The row every backend contributes to `nova ls` and the dashboard. */
export const resourceSummary = lazy(() => z.object({
  kind: resourceKind,
  name: z.string(),
  state: z.string(),
  /** Why the state is what it is (Degraded/crashed reasons, TCG warning, …). */
  reason: z.string().optional(),
  project: z.string().optional(),
  /** Short human facts for the table's last column, e.g. "2 vCPU · 1 GiB". */
  detail: z.string().optional(),
}));
export type ResourceSummary = z.infer<typeof resourceSummary>;

export const resourceProcedures = {
  'resource.list': procedure({
    summary: 'All VMs, capsules and networks with their state',
    input: lazy(() => z
      .object({ kind: resourceKind.optional(), project: z.string().optional() })
      .strict()
      .default({})),
    output: lazy(() => z.object({ items: z.array(resourceSummary) })),
  }),
};
