import { z } from 'zod';
import { procedure } from './define.js';
import { lazy } from '../lazy.js';

export const taskState = lazy(() => z.enum(['running', 'done', 'failed', 'cancelled']));
export const taskInfo = lazy(() => z.object({
  id: z.string(),
  title: z.string(),
  state: taskState,
  /** 0..1 when known, null while indeterminate. */
  progress: z.number().min(0).max(1).nullable(),
  message: z.string().optional(),
  startedAt: z.number(),
  endedAt: z.number().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
}));
export type TaskInfo = z.infer<typeof taskInfo>;

export const taskProcedures = {
  'task.list': procedure({
    summary: 'Long-running work in this engine (image pulls, disk creation, migration)',
    input: lazy(() => z.object({}).strict().default({})),
    output: lazy(() => z.object({ tasks: z.array(taskInfo) })),
  }),
  'task.cancel': procedure({
    summary: 'Cancel a running task by id',
    input: lazy(() => z.object({ id: z.string().min(1) }).strict()),
    output: lazy(() => z.object({ id: z.string(), cancelled: z.boolean(), state: taskState })),
  }),
};
