import { useConnection, isStale } from '../stores/connection';
import { useHost } from '../stores/host';
import { runningTasks, useTasks } from '../stores/tasks';
import { call } from '../lib/rpc';
import { toast } from '../stores/toasts';
import { ProgressBar } from './ProgressBar';

const CONN_LABEL = { connecting: 'Connecting…', open: 'Engine connected', closed: 'Engine disconnected' } as const;

/** Accelerator (with the TCG warning), engine connection, and tasks in progress. */
export function StatusBar() {
  const info = useHost((s) => s.info);
  const conn = useConnection();
  const tasks = runningTasks(useTasks((s) => s.tasks));
  const accel = info?.accelerator;
  const cancel = (id: string) => call('task.cancel', { id }).catch((e: Error) => toast('error', 'Could not cancel the task', e.message));
  return (
    <footer className="statusbar" aria-label="Status">
      <span
        className={`status-item accel ${accel && accel.kind !== 'kvm' ? 'warn' : ''}`}
        data-testid="accelerator"
        title={accel?.reason}
      >
        {accel ? (
          <>
            {accel.kind === 'kvm' ? '⚡ KVM' : `⚠ ${accel.kind.toUpperCase()}`}
            {/* The reason is said once, on the dashboard; here it is the tooltip. */}
            {accel.kind !== 'kvm' && <span className="accel-reason">— no hardware acceleration</span>}
          </>
        ) : (
          'Accelerator: probing…'
        )}
      </span>
      <span className={`status-item conn conn-${conn.state} ${isStale(conn) ? 'stale' : ''}`} data-testid="connection" data-state={conn.state}>
        ● {CONN_LABEL[conn.state]}
      </span>
      <span className="status-tasks" data-testid="tasks">
        {tasks.length === 0 ? (
          <span className="muted">No tasks running</span>
        ) : (
          tasks.map((t) => (
            <span key={t.id} className={`task task-${t.state}`} data-testid="task" title={t.message ?? t.title}>
              <span className="task-title">{t.title}</span>
              <ProgressBar value={t.state === 'running' ? t.progress : 1} label={t.title} />
              {t.state === 'running' ? (
                <button type="button" className="icon-button" aria-label={`Cancel ${t.title}`} onClick={() => void cancel(t.id)}>
                  ×
                </button>
              ) : (
                <span className="task-state">{t.state === 'failed' ? `failed: ${t.error?.message ?? ''}` : t.state}</span>
              )}
            </span>
          ))
        )}
      </span>
    </footer>
  );
}
