import { randomUUID } from 'node:crypto';
import { NovaError, toNovaError } from '../../shared/contract.js';
import type { TaskInfo } from '../../shared/contract/task.js';
import type { EventBus } from './bus.js';

export interface TaskHandle {
  readonly id: string;
  readonly signal: AbortSignal;
  /** progress: 0..1 or null when indeterminate. */
  progress(progress: number | null, message?: string): void;
}

/**
 * Long work (pulls, disk creation, migration) runs as a task: it reports `task.progress` events
 * and stops when `task.cancel` aborts its signal. Finished tasks are kept briefly for `task.list`.
 */
export class TaskRegistry {
  private tasks = new Map<string, { info: TaskInfo; abort: AbortController }>();

  constructor(
    private bus: EventBus,
    private now: () => number = Date.now,
    private keepFinished = 50,
  ) {}

  async run<T>(title: string, work: (task: TaskHandle) => Promise<T>, opts: { signal?: AbortSignal } = {}): Promise<T> {
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const info: TaskInfo = { id: randomUUID(), title, state: 'running', progress: null, startedAt: this.now() };
    this.tasks.set(info.id, { info, abort });
    this.publish(info);
    const handle: TaskHandle = {
      id: info.id,
      signal: abort.signal,
      progress: (progress, message) => {
        if (info.state !== 'running') return;
        info.progress = progress === null ? null : Math.min(1, Math.max(0, progress));
        if (message !== undefined) info.message = message;
        this.publish(info);
      },
    };
    try {
      const value = await work(handle);
      if (abort.signal.aborted) throw new NovaError('CANCELLED', `${title}: cancelled`);
      this.finish(info, 'done');
      return value;
    } catch (e) {
      const err = abort.signal.aborted ? new NovaError('CANCELLED', `${title}: cancelled`) : toNovaError(e);
      info.error = { code: err.code, message: err.message };
      this.finish(info, abort.signal.aborted ? 'cancelled' : 'failed');
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  cancel(id: string): TaskInfo {
    const t = this.tasks.get(id);
    if (!t) throw new NovaError('NOT_FOUND', `no task with id ${id}`, { id });
    if (t.info.state === 'running') t.abort.abort(new NovaError('CANCELLED', 'cancelled by user'));
    return t.info;
  }

  list(): TaskInfo[] {
    return [...this.tasks.values()].map((t) => ({ ...t.info }));
  }

  private finish(info: TaskInfo, state: TaskInfo['state']): void {
    info.state = state;
    info.endedAt = this.now();
    if (state === 'done') info.progress = 1;
    this.publish(info);
    const finished = [...this.tasks.values()].filter((t) => t.info.state !== 'running');
    for (const t of finished.slice(0, Math.max(0, finished.length - this.keepFinished))) this.tasks.delete(t.info.id);
  }

  private publish(info: TaskInfo): void {
    this.bus.emit('task.progress', { ...info });
  }
}
