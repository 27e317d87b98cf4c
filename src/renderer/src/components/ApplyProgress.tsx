import type { ApplyOutcome } from '../../../shared/contract/novafile-apply.js';
import type { TaskInfo } from '../../../shared/contract/task.js';
import { useTasks } from '../stores/tasks';

/** The per-item tasks of a running `up`/`down` (titled "PROJECT: …"), live from task.progress. */
export function ApplyProgress({ project }: { project: string }) {
  const tasks = useTasks((s) => s.tasks);
  const mine = Object.values(tasks)
    .filter((t: TaskInfo) => t.title.startsWith(`${project}: `) || t.title === `nova up ${project}` || t.title === `nova down ${project}`)
    .sort((a, b) => a.startedAt - b.startedAt);
  if (mine.length === 0) return <p className="muted">Starting…</p>;
  return (
    <ul className="apply-progress" data-testid="apply-progress">
      {mine.map((t) => (
        <li key={t.id} data-state={t.state}>
          <span className={`badge badge-${t.state === 'failed' ? 'error' : t.state === 'done' ? 'ok' : 'warn'}`}>{t.state}</span> {t.title.replace(`${project}: `, '')}
          {t.progress !== null && t.state === 'running' && <progress value={t.progress} max={1} />}
          {t.message && <span className="muted"> {t.message}</span>}
        </li>
      ))}
    </ul>
  );
}

/** What the last `up`/`down` did, item by item (failures with their message). */
export function ApplyOutcomes({ title, outcomes }: { title: string; outcomes: ApplyOutcome[] }) {
  return (
    <section className="card" aria-label={title} data-testid="apply-outcomes">
      <h2>{title}</h2>
      <ul className="apply-progress">
        {outcomes.map((o) => (
          <li key={`${o.kind}/${o.name}`} data-state={o.status}>
            <span className={`badge badge-${o.status === 'failed' ? 'error' : o.status === 'done' ? 'ok' : 'muted'}`}>{o.status}</span> {o.action} {o.kind} {o.name}
            <span className="muted"> {(o.durationMs / 1000).toFixed(1)} s</span>
            {o.message && <div className="warn-text">{o.message}</div>}
          </li>
        ))}
      </ul>
    </section>
  );
}
