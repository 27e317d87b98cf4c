import { confirm } from '../stores/confirm';
import { prompt, validName } from '../stores/prompt';
import { useResources } from '../stores/resources';
import { toast } from '../stores/toasts';
import { call, errorText, isMissingBackend } from './rpc';

export type InstanceKind = 'vm' | 'capsule';

export interface InstanceAction {
  id: string;
  label: string;
  /** States in which the action makes sense (lower case); undefined = always. */
  when?: string[];
  danger?: boolean;
  run(kind: InstanceKind, name: string): Promise<void>;
}

const deleteMethod = { vm: 'vm.delete', capsule: 'capsule.rm' } as const;
const label = { vm: 'VM', capsule: 'capsule' } as const;

/** Runs one method with a toast for the outcome; a method missing from this build says so. */
export async function act(method: string, input: Record<string, unknown>, done: string): Promise<boolean> {
  try {
    await call(method, input);
    toast('success', done);
    useResources.getState().refetch();
    return true;
  } catch (e) {
    if (isMissingBackend(e, method)) toast('warning', `${method} is not available in this build`, 'The backend for this action has not landed yet.');
    else toast('error', `${method} failed`, errorText(e));
    return false;
  }
}

const simple = (verb: string, past: string, extra: Record<string, unknown> = {}) => (kind: InstanceKind, name: string) =>
  act(`${kind}.${verb}`, { name, ...extra }, `${name}: ${past}`).then(() => undefined);

const STOPPED = ['stopped', 'shutoff', 'created', 'exited', 'crashed', 'failed'];
const RUNNING = ['running'];

export const INSTANCE_ACTIONS: InstanceAction[] = [
  { id: 'start', label: 'Start', when: STOPPED, run: simple('start', 'started') },
  { id: 'stop', label: 'Stop', when: [...RUNNING, 'paused'], run: simple('stop', 'stopped') },
  {
    id: 'force-stop',
    label: 'Force stop',
    when: [...RUNNING, 'paused', 'stopping'],
    danger: true,
    run: async (kind, name) => {
      if (await confirm({ title: `Force stop ${name}?`, body: 'Like pulling the power cord: unsaved work inside is lost.', confirmLabel: 'Force stop', danger: true }))
        await simple('stop', 'force-stopped', { force: true })(kind, name);
    },
  },
  { id: 'restart', label: 'Restart', when: RUNNING, run: simple('restart', 'restarted') },
  { id: 'pause', label: 'Pause', when: RUNNING, run: simple('pause', 'paused') },
  { id: 'resume', label: 'Resume', when: ['paused'], run: simple('resume', 'resumed') },
  {
    id: 'snapshot',
    label: 'Snapshot',
    run: async (kind, name) => {
      const snap = await prompt({ title: `Snapshot ${name}`, label: 'Snapshot name', initial: `snap-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`, validate: validName, confirmLabel: 'Take snapshot' });
      if (snap) await act(`${kind}.snapshot`, { name, snapshot: snap }, `${name}: snapshot ${snap} taken`);
    },
  },
  {
    id: 'restore',
    label: 'Restore',
    run: async (kind, name) => {
      const snap = await prompt({ title: `Restore ${name}`, label: 'Snapshot to restore', validate: validName, confirmLabel: 'Continue' });
      if (!snap) return;
      if (await confirm({ title: `Restore ${name} to ${snap}?`, body: 'Changes made after that snapshot are lost.', confirmLabel: 'Restore', danger: true }))
        await act(`${kind}.restore`, { name, snapshot: snap }, `${name}: restored ${snap}`);
    },
  },
  {
    id: 'clone',
    label: 'Clone',
    run: async (kind, name) => {
      const target = await prompt({ title: `Clone ${name}`, label: `New ${label[kind]} name`, initial: `${name}-clone`, validate: validName, confirmLabel: 'Clone' });
      if (target) await act(`${kind}.clone`, { name, target }, `${name} cloned to ${target}`);
    },
  },
  {
    id: 'delete',
    label: 'Delete',
    danger: true,
    run: async (kind, name) => {
      const ok = await confirm({
        title: `Delete ${label[kind]} ${name}?`,
        body: kind === 'vm' ? 'The VM is stopped first and its definition removed. Disk images are kept.' : 'The capsule is stopped first and its writable layer removed.',
        confirmLabel: 'Delete',
        danger: true,
      });
      if (ok) await act(deleteMethod[kind], { name, ...(kind === 'capsule' ? { force: true } : {}) }, `${name} deleted`);
    },
  },
];

export const actionsFor = (state: string): InstanceAction[] => INSTANCE_ACTIONS.filter((a) => !a.when || a.when.includes(state.toLowerCase()));
