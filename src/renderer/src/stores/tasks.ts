import { create } from 'zustand';
import type { TaskInfo } from '../../../shared/contract/task.js';
import { call } from '../lib/rpc';

interface TaskStore {
  tasks: Record<string, TaskInfo>;
  upsert(t: TaskInfo): void;
  load(): Promise<void>;
  remove(id: string): void;
}

/** Finished tasks stay visible briefly so a fast task is still noticed. */
export const FINISHED_TTL_MS = 4_000;

export const useTasks = create<TaskStore>((set, get) => ({
  tasks: {},
  upsert: (t) => {
    set({ tasks: { ...get().tasks, [t.id]: t } });
    if (t.state !== 'running') setTimeout(() => get().remove(t.id), FINISHED_TTL_MS);
  },
  remove: (id) => {
    const { [id]: _gone, ...rest } = get().tasks;
    set({ tasks: rest });
  },
  load: async () => {
    try {
      const out = await call('task.list', {});
      const running = Object.fromEntries(out.tasks.filter((t) => t.state === 'running').map((t) => [t.id, t]));
      set({ tasks: { ...running } });
    } catch {
      /* the status bar shows the connection problem; tasks will arrive as events */
    }
  },
}));

export const runningTasks = (tasks: Record<string, TaskInfo>): TaskInfo[] => Object.values(tasks).sort((a, b) => a.startedAt - b.startedAt);
