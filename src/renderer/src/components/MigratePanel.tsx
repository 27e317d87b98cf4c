import { useEffect, useState } from 'react';
import type { TaskInfo } from '../../../shared/contract/task.js';
import { call, errorText } from '../lib/rpc';
import { useNav } from '../stores/nav';
import { useTasks } from '../stores/tasks';
import { toast } from '../stores/toasts';

/** The engine's task for a move of `vm` to another host (vm.migrate.host titles it so). */
export const migrationTask = (tasks: Record<string, TaskInfo>, vm: string): TaskInfo | undefined =>
  Object.values(tasks).find((t) => t.title.startsWith(`migrate VM ${vm} → host `));

/**
 * A VM's move to another Nova host from its detail view: choose the host, then live progress
 * (disks, RAM with rate and expected downtime, switch-over) from task.progress, and Cancel, which
 * leaves the VM running here and nothing on the target.
 */
export function MigratePanel({ vm, state }: { vm: string; state: string }) {
  const go = useNav((s) => s.go);
  const task = migrationTask(useTasks((s) => s.tasks), vm);
  const [hosts, setHosts] = useState<string[]>([]);
  const [to, setTo] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const running = state.toLowerCase() === 'running';

  useEffect(() => {
    if (!running) return;
    call('host.list', { probe: false }).then(
      (r) => setHosts(r.items.map((h) => h.name)),
      () => setHosts([]),
    );
  }, [running]);

  const move = async () => {
    const target = to || hosts[0];
    if (!target) return;
    setBusy(true);
    setError(undefined);
    try {
      const out = await call('vm.migrate.host', { name: vm, to: target });
      toast('success', `${vm} moved to ${target}`, `${(out.totalMs / 1000).toFixed(1)} s${out.downtimeMs !== undefined ? `, downtime ${out.downtimeMs} ms` : ''}`);
      go('vms');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (task?.state === 'running') {
    return (
      <div className="callout" data-testid="migrate-progress">
        <strong>{task.title}</strong> <progress value={task.progress ?? undefined} max={1} /> <span className="muted" data-testid="migrate-message">{task.message ?? ''}</span>{' '}
        <button type="button" data-testid="migrate-cancel" onClick={() => void call('task.cancel', { id: task.id }).catch((e) => setError(errorText(e)))}>
          Cancel move
        </button>
      </div>
    );
  }
  if (!running || !hosts.length) return error ? <div className="callout warn" data-testid="migrate-error">{error}</div> : null;
  return (
    <div className="migrate-bar" data-testid="migrate-panel">
      <label>
        Move to host{' '}
        <select data-testid="migrate-to" value={to || hosts[0]} onChange={(e) => setTo(e.target.value)} disabled={busy}>
          {hosts.map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </label>{' '}
      <button type="button" data-testid="migrate-start" disabled={busy} onClick={() => void move()}>
        {busy ? 'Moving…' : 'Move live'}
      </button>
      {error && <div className="callout warn" data-testid="migrate-error">{error}</div>}
    </div>
  );
}
