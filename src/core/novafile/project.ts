// The NovaFile service behind novafile.plan / up / run / down: load → observe → plan, and for
// up/down take the project lock, re-plan under it (so a waiting `up` sees what the first one
// did) and apply.
import { NovaError } from '../../shared/errors.js';
import type { ApplyOutcome, PlanChange, ProjectPlan, UpResult } from '../../shared/contract/novafile-apply.js';
import type { EngineContext } from '../context.js';
import { acquireLock } from '../sys/lock.js';
import { lockPath } from '../sys/paths.js';
import { applyChanges } from './apply.js';
import { dispatcherBackends } from './backend.js';
import type { Backends } from './backend.js';
import { gatherFacts } from './facts.js';
import { loadNovafile } from './load.js';
import type { NovafileSource } from './load.js';
import { locateKeys } from './locate.js';
import { declare, idOf } from './model.js';
import type { Declared, Observed, WorkloadKind } from './model.js';
import { observe } from './observe.js';
import { actionable, planProject } from './plan.js';
import { interruptedNote, readState, removeState, StateWriter } from './state.js';
import { readFile } from 'node:fs/promises';

export type Source = NovafileSource;

interface Loaded {
  file: string;
  dir: string;
  declared: Declared;
  locate: (path: string) => { line: number; column: number } | undefined;
}

async function load(src: Source): Promise<Loaded> {
  const { file, dir, text, novafile } = await loadNovafile(src);
  const places = locateKeys(text);
  return { file, dir, declared: declare(novafile, dir, { trackImages: true }), locate: (p) => places.get(p) };
}

export class ProjectService {
  constructor(
    private engine: EngineContext,
    private backendsOf: () => Backends = () => dispatcherBackends(engine),
  ) {}

  private async planLoaded(l: Loaded, backends: Backends, only: readonly string[]): Promise<{ plan: ProjectPlan; observed: Observed }> {
    const statePromise = readState(this.engine.paths, l.declared.project);
    const [observed, facts, state] = await Promise.all([
      statePromise.then((st) => observe(backends, l.declared, { images: l.declared.images.length > 0, recorded: Object.keys(st.items) })),
      gatherFacts(backends, l.declared, { baseDir: l.dir, runner: this.engine.runner, sysfsRoot: this.engine.sysfsRoot }),
      statePromise,
    ]);
    const interrupted = interruptedNote(state);
    const plan = planProject({ file: l.file, declared: l.declared, observed, facts, applied: state, only, locate: l.locate, ...(interrupted ? { interrupted } : {}) });
    return { plan, observed };
  }

  async plan(src: Source & { only?: string[] }): Promise<ProjectPlan> {
    const backends = this.backendsOf();
    return (await this.planLoaded(await load(src), backends, src.only ?? [])).plan;
  }

  async up(src: Source & { only?: string[]; partial?: boolean; parallel?: number; lockTimeoutMs?: number }, signal?: AbortSignal): Promise<UpResult> {
    const t0 = this.engine.clock.now();
    const backends = this.backendsOf();
    const l = await load(src);
    const project = l.declared.project;
    // Fast path: already converged and no other `up` in flight → nothing to lock for.
    const peek = await this.planLoaded(l, backends, src.only ?? []);
    const marker = (await readState(this.engine.paths, project)).running;
    if (peek.plan.converged && !marker) return { plan: peek.plan, applied: [], ok: true, message: 'no changes', durationMs: this.engine.clock.now() - t0 };
    return this.locked(
      project,
      `nova up ${project}`,
      src.lockTimeoutMs,
      async () => {
        const { plan, observed } = await this.planLoaded(l, backends, src.only ?? []);
        if (plan.errors.length && !src.partial) {
          const code = plan.errors.some((e) => e.category === 'conflict') ? 'CONFLICT' : plan.errors.every((e) => e.category === 'host-limit') ? 'HOST_UNSUPPORTED' : 'INVALID_INPUT';
          throw new NovaError(code, `nothing applied: ${plan.errors.length} problem(s) in ${l.file}:\n${plan.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, {
            fix: 'fix them, or run `nova up --partial` to apply everything they do not block',
            errors: plan.errors.map((e) => ({ file: l.file, line: e.line ?? 1, column: e.column ?? 1, path: e.path, message: e.message, ...(e.fix ? { fix: e.fix } : {}) })),
            plan,
          });
        }
        const todo = actionable(plan);
        if (todo.length === 0) {
          // A killed `up` that had already converged leaves only its marker: clear it.
          const st = await readState(this.engine.paths, project);
          if (st.running) await new StateWriter(this.engine.paths, st).finish();
          return { plan, applied: [], ok: true, message: plan.changes.some((c) => c.blocked) ? 'no changes (blocked items left out)' : 'no changes', durationMs: this.engine.clock.now() - t0 };
        }
        const state = new StateWriter(this.engine.paths, await readState(this.engine.paths, project));
        await state.begin(this.engine.clock.now());
        const applied = await this.engine.tasks.run(`nova up ${project}`, async (task) => {
          let done = 0;
          return applyChanges(todo, {
            backends, declared: l.declared, observed, baseDir: l.dir, parallel: src.parallel ?? 4, state, now: () => this.engine.clock.now(),
            ...(signal ? { signal } : {}),
            task: async (title, fn) => {
              try {
                return await this.engine.tasks.run(`${project}: ${title}`, fn, { signal: task.signal });
              } finally {
                task.progress(++done / (todo.length * 1.0 + countHalves(todo)), title);
              }
            },
          });
        });
        await state.finish();
        const ok = applied.every((a) => a.status === 'done');
        return { plan, applied, ok, message: summarize(applied), durationMs: this.engine.clock.now() - t0 };
      },
    );
  }

  async run(src: Source & { kind: 'vm' | 'container'; name: string; partial?: boolean; parallel?: number; lockTimeoutMs?: number }): Promise<UpResult> {
    const backends = this.backendsOf();
    const l = await load(src);
    const kind: WorkloadKind = src.kind === 'vm' ? 'vm' : 'capsule';
    if (!l.declared.items.some((i) => i.kind === kind && i.name === src.name)) {
      const names = l.declared.items.filter((i) => i.kind === kind).map((i) => i.name);
      throw new NovaError('NOT_FOUND', `${l.file} declares no ${src.kind} named "${src.name}"`, { fix: names.length ? `declared ${src.kind}s: ${names.join(', ')}` : `add a [${src.kind}.${src.name}] section` });
    }
    return this.up({ ...src, only: [src.name] });
  }

  async down(src: Source & { project?: string; volumes?: boolean; parallel?: number; lockTimeoutMs?: number }): Promise<{ project: string; removed: ApplyOutcome[]; ok: boolean; message: string }> {
    const backends = this.backendsOf();
    const declared: Declared = src.project ? { project: src.project, items: [], images: [] } : (await load(src)).declared;
    const project = declared.project;
    return this.locked(
      project,
      `nova down ${project}`,
      src.lockTimeoutMs,
      async () => {
        // Only what carries this project's label: never something of the same name made by hand.
        const recorded = Object.keys((await readState(this.engine.paths, project)).items);
        const observed = await observe(backends, { project, items: [], images: [] }, { images: false, recorded });
        const changes: PlanChange[] = [...observed.items.values()]
          .filter((o) => o.project === project)
          .map((o) => ({ kind: o.kind, name: o.name, action: 'delete' as const, fields: [], drift: false, needs: [], reasons: ['nova down'] }));
        if (changes.length === 0) {
          await removeState(this.engine.paths, project);
          return { project, removed: [], ok: true, message: `nothing to remove: project ${project} has no resources` };
        }
        const state = new StateWriter(this.engine.paths, await readState(this.engine.paths, project));
        const removed = await this.engine.tasks.run(`nova down ${project}`, () =>
          applyChanges(changes, {
            backends, declared, observed, baseDir: src.cwd ?? process.cwd(), parallel: src.parallel ?? 4, volumes: src.volumes ?? false, state,
            now: () => this.engine.clock.now(),
            task: (title, fn) => this.engine.tasks.run(`${project}: ${title}`, fn),
          }),
        );
        const ok = removed.every((r) => r.status === 'done');
        if (ok) await removeState(this.engine.paths, project);
        return { project, removed, ok, message: ok ? `removed ${removed.length} resource(s) of project ${project}` : summarize(removed) };
      },
    );
  }

  /** One `up`/`down` per project at a time, across processes; a waiter is told who holds it. */
  private async locked<T>(project: string, holder: string, timeoutMs: number | undefined, fn: () => Promise<T>): Promise<T> {
    const path = lockPath(this.engine.paths, 'project', project);
    let lock = await acquireLock(path, { timeoutMs: 0, holder }).catch((e: unknown) => {
      if ((e as NovaError).code !== 'CONFLICT') throw e;
      return undefined;
    });
    if (!lock) {
      const owner = (await readFile(`${path}.owner`, 'utf8').catch(() => 'another Nova process')).trim();
      this.engine.bus.emit('notification', { level: 'info', title: `waiting for project ${project}`, body: `${owner} holds the project lock; waiting for it to finish`, subject: project });
      lock = await acquireLock(path, { timeoutMs: timeoutMs ?? 600_000, holder });
    }
    try {
      return await fn();
    } finally {
      await lock.release();
    }
  }
}

const countHalves = (changes: readonly PlanChange[]) => changes.filter((c) => c.action === 'replace').length;

function summarize(outcomes: readonly ApplyOutcome[]): string {
  const n = (s: ApplyOutcome['status']) => outcomes.filter((o) => o.status === s).length;
  const parts = [`${n('done')} done`];
  if (n('failed')) parts.push(`${n('failed')} failed`);
  if (n('skipped')) parts.push(`${n('skipped')} skipped`);
  return parts.join(', ');
}

export { idOf };
