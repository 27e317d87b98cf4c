import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

// Plan / up / down / run of a NovaFile project. The plan is the diff between the NovaFile and
// the host; `up` applies it; every output is redacted (env.* values never leave the engine).

export const planKind = lazy(() => z.enum(['network', 'image', 'vm', 'capsule']));
export type PlanKind = z.infer<typeof planKind>;

export const planAction = lazy(() => z.enum(['create', 'update', 'replace', 'start', 'delete', 'noop']));
export type PlanAction = z.infer<typeof planAction>;

export const planChange = lazy(() => z.object({
  kind: planKind,
  name: z.string(),
  action: planAction,
  /** One line per changed field or observed fact, e.g. "memory: 256 MiB → 512 MiB". */
  reasons: z.array(z.string()),
  /** Dotted spec fields that differ ("memory", "limits.cpu", "env.API_KEY"). */
  fields: z.array(z.string()),
  /** True when the host changed behind Nova's back (stopped, removed, edited by hand). */
  drift: z.boolean(),
  /** Set when this item will not be applied: a host limit, a conflict, or a blocked dependency. */
  blocked: z.string().optional(),
  /** Other items (kind/name) this one needs first. */
  needs: z.array(z.string()),
}));
export type PlanChange = z.infer<typeof planChange>;

export const planIssue = lazy(() => z.object({
  kind: planKind,
  name: z.string(),
  /** Dotted NovaFile path of the offending key, e.g. "vm.win11.gpu_passthrough". */
  path: z.string(),
  /** host-limit: this host cannot do it; conflict: the name is taken outside this project; missing-file. */
  category: z.enum(['host-limit', 'conflict', 'missing-file']),
  message: z.string(),
  fix: z.string().optional(),
  /** file:line:column of the key in the NovaFile, when known. */
  line: z.number().int().optional(),
  column: z.number().int().optional(),
}));
export type PlanIssue = z.infer<typeof planIssue>;

export const planSummary = lazy(() => z.object({
  create: z.number(),
  update: z.number(),
  replace: z.number(),
  start: z.number(),
  delete: z.number(),
  noop: z.number(),
  blocked: z.number(),
}));

export const projectPlan = lazy(() => z.object({
  file: z.string(),
  project: z.string(),
  changes: z.array(planChange),
  errors: z.array(planIssue),
  summary: planSummary,
  /** Nothing to do: every declared item exists as declared and runs. */
  converged: z.boolean(),
  /** The previous `nova up` of this project did not finish (killed); this plan converges it. */
  interrupted: z.string().optional(),
}));
export type ProjectPlan = z.infer<typeof projectPlan>;

export const applyOutcome = lazy(() => z.object({
  kind: planKind,
  name: z.string(),
  action: planAction,
  status: z.enum(['done', 'failed', 'skipped']),
  message: z.string().optional(),
  durationMs: z.number(),
}));
export type ApplyOutcome = z.infer<typeof applyOutcome>;

export const upOutput = lazy(() => z.object({
  plan: projectPlan,
  applied: z.array(applyOutcome),
  ok: z.boolean(),
  /** "no changes" when the host already matched. */
  message: z.string(),
  durationMs: z.number(),
}));
export type UpResult = z.infer<typeof upOutput>;

const source = {
  path: lazy(() => z.string().optional()),
  cwd: lazy(() => z.string().optional()),
  /** NovaFile text instead of reading `path` (the path still names it in messages). */
  text: lazy(() => z.string().optional()),
};
const selection = {
  /** Only these items (by name) and what they need. Empty: the whole NovaFile. */
  only: lazy(() => z.array(z.string().min(1)).default([])),
};

export const novafileApplyProcedures = {
  'novafile.plan': procedure({
    summary: 'Diff a NovaFile against the host: create / update / replace / start / delete, each with its reason',
    input: lazy(() => z.object({ ...source, ...selection }).strict().default({ only: [] })),
    output: projectPlan,
  }),
  'novafile.up': procedure({
    summary: 'Converge the host to the NovaFile in dependency order (networks → images → VMs and capsules)',
    input: lazy(() => z
      .object({
        ...source,
        ...selection,
        /** Apply everything not blocked by a host limit (otherwise any plan error refuses). */
        partial: z.boolean().default(false),
        /** How many independent items run at once. */
        parallel: z.number().int().min(1).max(32).default(4),
        /** How long to wait for another `nova up` of the same project, in ms. */
        lockTimeoutMs: z.number().int().min(0).default(600_000),
      })
      .strict()
      .default({ only: [], partial: false, parallel: 4, lockTimeoutMs: 600_000 })),
    output: upOutput,
  }),
  'novafile.run': procedure({
    summary: 'Apply one VM or container of the NovaFile and what it needs (`nova run vm NAME`)',
    input: lazy(() => z
      .object({
        ...source,
        kind: z.enum(['vm', 'container']),
        name: z.string().min(1),
        partial: z.boolean().default(false),
        parallel: z.number().int().min(1).max(32).default(4),
        lockTimeoutMs: z.number().int().min(0).default(600_000),
      })
      .strict()),
    output: upOutput,
  }),
  'novafile.down': procedure({
    summary: 'Remove everything the project created (and only that); --volumes also deletes VM disks and volumes',
    input: lazy(() => z
      .object({
        ...source,
        /** Tear down this project by name without reading a NovaFile. */
        project: z.string().optional(),
        volumes: z.boolean().default(false),
        parallel: z.number().int().min(1).max(32).default(4),
        lockTimeoutMs: z.number().int().min(0).default(600_000),
      })
      .strict()
      .default({ volumes: false, parallel: 4, lockTimeoutMs: 600_000 })),
    output: lazy(() => z.object({
      project: z.string(),
      removed: z.array(applyOutcome),
      ok: z.boolean(),
      message: z.string(),
    })),
  }),
};
