// The executor: turns a plan into backend calls. Teardown (deletes, the first half of replaces)
// runs before the build half of the same item; networks come before what attaches to them.
// Each item runs as its own task (task.progress) under its own Reverter.
import type { ApplyOutcome, PlanAction, PlanChange, PlanKind } from '../../shared/contract/novafile-apply.js';
import { NovaError, toNovaError } from '../../shared/errors.js';
import { withReverter } from '../sys/reverter.js';
import type { TaskHandle } from '../rpc/tasks.js';
import type { Method } from '../../shared/contract.js';
import type { Backends } from './backend.js';
import { PROC } from './backend.js';
import { idOf } from './model.js';
import { UPDATABLE } from './plan.js';
import type { Declared, Observed, WorkloadKind } from './model.js';
import { runGraph } from './order.js';
import type { Node } from './order.js';
import type { StateWriter } from './state.js';

export interface ApplyOptions {
  backends: Backends;
  declared: Declared;
  observed: Observed;
  baseDir: string;
  parallel: number;
  /** `nova down --volumes`: VM disks go too. */
  volumes?: boolean;
  state?: StateWriter;
  /** Runs one item as a task (engine.tasks.run), so clients see progress per item. */
  task: <T>(title: string, fn: (t: TaskHandle) => Promise<T>) => Promise<T>;
  now: () => number;
  signal?: AbortSignal;
}

type Op = Node & { change: PlanChange; phase: 'down' | 'up' };

const VERB: Record<PlanAction, string> = { create: 'create', update: 'update', replace: 'replace', start: 'start', delete: 'delete', noop: 'keep' };

/** The op graph for a set of changes (exported for tests). */
export function buildOps(changes: readonly PlanChange[]): Op[] {
  const ops: Op[] = [];
  const tearsDown = (c: PlanChange) => c.action === 'delete' || c.action === 'replace';
  const builds = (c: PlanChange) => c.action !== 'delete' && c.action !== 'noop';
  const downWorkloads = changes.filter((c) => tearsDown(c) && c.kind !== 'network').map((c) => `down:${idOf(c.kind, c.name)}`);
  const upIds = new Set(changes.filter(builds).map((c) => `up:${idOf(c.kind, c.name)}`));
  for (const c of changes) {
    const id = idOf(c.kind, c.name);
    // A network goes after everything that may still be attached to it has gone.
    if (tearsDown(c)) ops.push({ id: `down:${id}`, needs: c.kind === 'network' ? downWorkloads : [], change: c, phase: 'down' });
    if (builds(c)) {
      const needs = c.needs.map((n) => `up:${n}`).filter((n) => upIds.has(n));
      if (c.action === 'replace') needs.push(`down:${id}`);
      ops.push({ id: `up:${id}`, needs, change: c, phase: 'up' });
    }
  }
  return ops;
}

export async function applyChanges(changes: readonly PlanChange[], o: ApplyOptions): Promise<ApplyOutcome[]> {
  const ops = buildOps(changes);
  const byId = new Map(ops.map((op) => [op.id, op]));
  const specOf = (kind: PlanKind, name: string) => o.declared.items.find((i) => i.kind === kind && i.name === name)?.spec;
  const started = new Map<string, number>();
  const ended = new Map<string, number>();
  // The executor's steps are generic over the kind (PROC, `${kind}.resume`): the method and input
  // are built per kind here and checked against the contract by the dispatcher.
  const call = (m: string, input: unknown): Promise<unknown> => o.backends.call(m as Method, input as never, o.signal);

  const down = async (c: PlanChange, t: TaskHandle) => {
    const kind = c.kind as WorkloadKind;
    t.progress(0, `removing ${kind} ${c.name}`);
    if (kind === 'vm') await call(PROC.vm.remove, { name: c.name, disks: c.action === 'delete' && Boolean(o.volumes) });
    else if (kind === 'capsule') await call(PROC.capsule.remove, { name: c.name, force: true });
    else await call(PROC.network.remove, { name: c.name });
    if (c.action === 'delete') await o.state?.removed(idOf(c.kind, c.name));
  };

  const up = async (c: PlanChange, t: TaskHandle) => {
    if (c.kind === 'image') {
      t.progress(null, `pulling ${c.name}`);
      await call('image.pull', { ref: c.name });
      return;
    }
    const kind = c.kind as WorkloadKind;
    const spec = specOf(kind, c.name);
    const p = PROC[kind];
    const obs = o.observed.items.get(idOf(kind, c.name));
    const where = { project: o.declared.project, ...(kind === 'network' ? {} : { baseDir: o.baseDir }) };
    if (c.action === 'start') {
      const paused = obs?.state.toLowerCase() === 'paused';
      t.progress(0.5, `${paused ? 'resuming' : 'starting'} ${kind} ${c.name}`);
      await call(paused ? `${kind}.resume` : p.start!, { name: c.name });
    } else if (c.action === 'update' && kind === 'network' && c.fields[0] === 'state') {
      t.progress(0.3, `repairing network ${c.name}`);
      await call('network.hydrate', {});
      const after = (await call(p.inspect, { name: c.name })) as { state: string; reason?: string };
      if (after.state !== 'Active') throw new NovaError('INTERNAL', `network ${c.name} is still ${after.state} after repair${after.reason ? `: ${after.reason}` : ''}`);
    } else if (c.action === 'update') {
      // vm.update takes a stopped VM: stop, update, start; undone in reverse (old spec, running).
      await withReverter(async (r) => {
        const running = obs !== undefined && ['running', 'paused', 'starting'].includes(obs.state.toLowerCase());
        if (UPDATABLE[kind]!.restart && running && p.stop) {
          t.progress(0.2, `stopping ${kind} ${c.name}`);
          await call(p.stop, { name: c.name });
          r.add(() => call(p.start!, { name: c.name }).then(() => undefined), `start ${kind} ${c.name} again`);
        }
        t.progress(0.5, `updating ${kind} ${c.name}: ${c.fields.join(', ')}`);
        await call(p.update, { name: c.name, spec, ...where });
        if (obs?.spec !== undefined) r.add(() => call(p.update, { name: c.name, spec: obs.spec, ...where }).then(() => undefined), `restore ${kind} ${c.name} spec`);
        if (p.start && (UPDATABLE[kind]!.restart || !running)) {
          t.progress(0.8, `starting ${kind} ${c.name}`);
          await call(p.start, { name: c.name });
        }
      });
    } else {
      // create, or the build half of a replace: create then start, undone together on failure.
      await withReverter(async (r) => {
        t.progress(0.1, `creating ${kind} ${c.name}`);
        await call(p.create, { name: c.name, spec, ...where });
        r.add(() => call(p.remove, kind === 'vm' ? { name: c.name, disks: c.action === 'create' } : kind === 'capsule' ? { name: c.name, force: true } : { name: c.name }).then(() => undefined), `remove ${kind} ${c.name}`);
        if (p.start) {
          t.progress(0.6, `starting ${kind} ${c.name}`);
          await call(p.start, { name: c.name });
        }
      });
    }
    await o.state?.applied(idOf(kind, c.name), spec, o.now());
  };

  const results = await runGraph(
    ops,
    o.parallel,
    async (opId) => {
      const op = byId.get(opId)!;
      const c = op.change;
      started.set(opId, o.now());
      try {
        const title = `${op.phase === 'down' && c.action === 'replace' ? 'remove (replace)' : VERB[c.action]} ${c.kind} ${c.name}`;
        await o.task(title, (t) => (op.phase === 'down' ? down(c, t) : up(c, t)));
      } finally {
        ended.set(opId, o.now());
      }
    },
    o.signal,
  );

  // One outcome per change: failed if either half failed, done when its last half is done.
  const outcomes: ApplyOutcome[] = [];
  for (const c of changes) {
    const id = idOf(c.kind, c.name);
    const halves = [`down:${id}`, `up:${id}`].filter((h) => byId.has(h));
    if (halves.length === 0) continue;
    const rs = halves.map((h) => results.get(h)!);
    const failed = rs.find((r) => r.status === 'failed');
    const skipped = rs.find((r) => r.status === 'skipped');
    const t0 = Math.min(...halves.map((h) => started.get(h) ?? o.now()));
    const t1 = Math.max(...halves.map((h) => ended.get(h) ?? t0));
    const status = failed ? 'failed' : skipped ? 'skipped' : 'done';
    const message =
      failed?.status === 'failed'
        ? toNovaError(failed.error).message
        : skipped?.status === 'skipped'
          ? `skipped: ${skipped.because.replace(/^(up|down):/, '').replace('/', ' ')}`
          : undefined;
    outcomes.push({ kind: c.kind, name: c.name, action: c.action, status, durationMs: Math.max(0, t1 - t0), ...(message ? { message } : {}) });
  }
  return outcomes;
}
