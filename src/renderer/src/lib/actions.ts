import { confirm } from '../stores/confirm';
import { prompt, validName } from '../stores/prompt';
import { useResources } from '../stores/resources';
import { toast } from '../stores/toasts';
import type { Input, Method } from '../../../shared/contract.js';
import { call, errorText } from './rpc';

export type InstanceKind = 'vm' | 'capsule';
/** Verbs both VMs and capsules have under the same name. */
export type InstanceVerb = 'inspect' | 'start' | 'stop' | 'restart' | 'pause' | 'resume' | 'snapshot.create' | 'snapshot.restore';
type InstanceMethod<V extends InstanceVerb> = `${InstanceKind}.${V}`;
// Fails to compile when a verb above stops being a contract method for either kind.
const everyInstanceMethodExists: Method = '' as InstanceMethod<InstanceVerb>;
void everyInstanceMethodExists;

/** `vm.start` or `capsule.start`: the contract method of a verb for this kind. */
export const instanceMethod = <V extends InstanceVerb>(kind: InstanceKind, verb: V): InstanceMethod<V> => `${kind}.${verb}`;

export interface InstanceAction {
  id: string;
  label: string;
  /** States in which the action makes sense (lower case); undefined = always. */
  when?: string[];
  kinds?: InstanceKind[];
  danger?: boolean;
  run(kind: InstanceKind, name: string): Promise<void>;
}

const label = { vm: 'VM', capsule: 'capsule' } as const;

/** Runs one method with a toast for the outcome. */
export async function act<M extends Method>(method: M, input: Input<M>, done: string): Promise<boolean> {
  try {
    await call(method, input);
    toast('success', done);
    useResources.getState().refetch();
    return true;
  } catch (e) {
    toast('error', `${method} failed`, errorText(e));
    return false;
  }
}

const simple = (verb: InstanceVerb, past: string) => (kind: InstanceKind, name: string) =>
  act(instanceMethod(kind, verb), { name }, `${name}: ${past}`).then(() => undefined);

const TAG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const validTag = (v: string) => (TAG.test(v) ? undefined : 'use letters, digits, ".", "-" or "_" (up to 64)');

const STOPPED = ['stopped', 'created', 'exited', 'crashed', 'unknown'];
const RUNNING = ['running'];

export const INSTANCE_ACTIONS: InstanceAction[] = [
  { id: 'start', label: 'Start', when: STOPPED, run: simple('start', 'started') },
  { id: 'stop', label: 'Stop', when: [...RUNNING, 'paused'], run: simple('stop', 'stopped') },
  {
    id: 'force-stop',
    label: 'Force stop',
    when: [...RUNNING, 'paused', 'starting', 'shutting-down', 'restarting'],
    danger: true,
    run: async (kind, name) => {
      if (!(await confirm({ title: `Force stop ${name}?`, body: 'Like pulling the power cord: unsaved work inside is lost.', confirmLabel: 'Force stop', danger: true }))) return;
      if (kind === 'vm') await act('vm.stop', { name, force: true }, `${name}: force-stopped`);
      else await act('capsule.kill', { name, signal: 'KILL' }, `${name}: killed`);
    },
  },
  { id: 'restart', label: 'Restart', when: RUNNING, run: simple('restart', 'restarted') },
  { id: 'pause', label: 'Pause', when: RUNNING, run: simple('pause', 'paused') },
  { id: 'resume', label: 'Resume', when: ['paused'], run: simple('resume', 'resumed') },
  {
    id: 'snapshot',
    label: 'Snapshot',
    when: [...RUNNING, ...STOPPED, 'paused'],
    run: async (kind, name) => {
      const tag = await prompt({ title: `Snapshot ${name}`, label: 'Snapshot name', initial: `snap-${new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '')}`, validate: validTag, confirmLabel: 'Take snapshot' });
      if (tag) await act(instanceMethod(kind, 'snapshot.create'), { name, tag }, `${name}: snapshot ${tag} taken`);
    },
  },
  {
    id: 'clone',
    label: 'Clone',
    kinds: ['vm'],
    when: ['stopped', 'crashed'],
    run: async (kind, name) => {
      const target = await prompt({ title: `Clone ${name}`, label: `New ${label[kind]} name (a linked clone: disks share ${name}'s as backing files)`, initial: `${name}-clone`, validate: validName, confirmLabel: 'Clone' });
      if (target) await act('vm.clone', { source: name, name: target }, `${name} cloned to ${target}`);
    },
  },
  {
    id: 'delete',
    label: 'Delete',
    danger: true,
    run: async (kind, name) => {
      const ok = await confirm({
        title: `Delete ${label[kind]} ${name}?`,
        body: kind === 'vm' ? 'The VM is stopped first and its definition removed. Disk images are kept.' : 'The capsule is stopped first; its writable layer, logs and snapshots are removed.',
        confirmLabel: 'Delete',
        danger: true,
      });
      if (!ok) return;
      if (kind === 'vm') await act('vm.delete', { name }, `${name} deleted`);
      else await act('capsule.rm', { name, force: true }, `${name} deleted`);
    },
  },
];

export const actionsFor = (state: string, kind?: InstanceKind): InstanceAction[] =>
  INSTANCE_ACTIONS.filter((a) => (!a.when || a.when.includes(state.toLowerCase())) && (!kind || !a.kinds || a.kinds.includes(kind)));
