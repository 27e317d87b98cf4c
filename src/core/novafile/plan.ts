// The planner: a pure function from (declared, observed, host facts, last applied state) to the
// list of changes with their reasons. No I/O, so every rule is unit-tested without a host.
import { NovaError } from '../../shared/errors.js';
import type { PlanAction, PlanChange, PlanIssue, ProjectPlan } from '../../shared/contract/novafile-apply.js';
import { diffSpec } from './diff.js';
import { conflictIssue, hostLimitIssues } from './limits.js';
import { idOf, splitId } from './model.js';
import type { AppliedState, Declared, DeclaredItem, HostFacts, Observed, ObservedItem } from './model.js';
import { closure, topoOrder } from './order.js';

export interface PlanInput {
  file: string;
  declared: Declared;
  observed: Observed;
  facts: HostFacts;
  applied?: AppliedState;
  /** Names to apply (with what they need); empty = everything, and undeclared items are deleted. */
  only?: readonly string[];
  /** Set when the previous `up` was killed (from the state file), shown in the plan. */
  interrupted?: string;
  /** Where a NovaFile key is written, for issue locations. */
  locate?: (path: string) => { line: number; column: number } | undefined;
}

/**
 * What a backend's `<kind>.update` can change: vm.update replaces a stopped VM's whole spec, so
 * every VM field updates in place with a restart (identity, MAC and disks stay); other kinds
 * only the listed fields, live. Without the procedure every change is a replace.
 */
export const UPDATABLE: Record<string, { fields: '*' | readonly string[]; restart: boolean }> = {
  vm: { fields: '*', restart: true },
  capsule: { fields: ['restart', 'limits'], restart: false },
  network: { fields: ['dns', 'domain', 'dhcp_range', 'peers'], restart: false },
};

// Observed states that count as "running as declared".
const RUNNING = new Set(['running', 'active', 'restarting', 'starting']);
const norm = (s: string) => s.toLowerCase();

function workloadChange(item: DeclaredItem, obs: ObservedItem | undefined, input: PlanInput): Omit<PlanChange, 'needs'> {
  const id = idOf(item.kind, item.name);
  const base = { kind: item.kind, name: item.name, drift: false } as const;
  const previous = input.applied?.items[id];
  if (!obs) {
    const gone = previous !== undefined && !input.interrupted;
    return { ...base, action: 'create', fields: [], drift: gone, reasons: [gone ? `removed outside Nova since the last \`nova up\` (drift)` : 'not on this host yet'] };
  }
  const fieldChanges = obs.spec === undefined ? [] : diffSpec(item.spec, obs.spec, previous?.spec);
  if (fieldChanges.length > 0) {
    const fields = fieldChanges.map((c) => c.field);
    const rule = UPDATABLE[item.kind]!;
    const canUpdate = rule.fields === '*' || fields.every((f) => rule.fields.includes(f.split('.')[0]!));
    const running = RUNNING.has(norm(obs.state)) || norm(obs.state) === 'paused';
    const tail = canUpdate ? (rule.restart && running ? ' (restarts it)' : '') : item.kind === 'vm' ? ' (disks are kept)' : '';
    return { ...base, action: canUpdate ? 'update' : 'replace', fields, reasons: fieldChanges.map((c) => c.reason + tail) };
  }
  const state = norm(obs.state);
  if (item.kind === 'network') {
    if (state === 'active') return { ...base, action: 'noop', fields: [], reasons: [] };
    const why = `network is ${obs.state}${obs.reason ? `: ${obs.reason}` : ''} (drift)`;
    // network.hydrate repairs in place (recreates the bridge, re-enslaves TAPs and veths), which
    // keeps running VMs and capsules.
    return { ...base, action: 'update', fields: ['state'], drift: true, reasons: [`${why}: repair it in place`] };
  }
  if (RUNNING.has(state)) return { ...base, action: 'noop', fields: [], reasons: [] };
  return {
    ...base, action: 'start', fields: ['state'], drift: !input.interrupted,
    reasons: [`${obs.state.toLowerCase()}${obs.reason ? ` (${obs.reason})` : ''}, declared running${input.interrupted ? '' : ' (drift)'}`],
  };
}

export function planProject(input: PlanInput): ProjectPlan {
  const { declared, observed, facts } = input;
  const project = declared.project;
  const errors: PlanIssue[] = [];
  const changes = new Map<string, PlanChange>();
  const blockedBy = new Map<string, string>();
  const where = (path: string) => input.locate?.(path) ?? {};

  // What to look at: a selection narrows to those names and what they need.
  const nodes = [
    ...declared.images.map((ref) => ({ id: idOf('image', ref), needs: [] as string[] })),
    ...declared.items.map((i) => ({ id: idOf(i.kind, i.name), needs: i.needs })),
  ];
  const only = input.only ?? [];
  let selected: Set<string> | undefined;
  if (only.length) {
    const names = new Set(declared.items.map((i) => i.name));
    const unknown = only.filter((n) => !names.has(n));
    if (unknown.length) {
      throw new NovaError('INVALID_INPUT', `${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not declared in ${input.file}`, {
        fix: `pick from: ${[...names].join(', ') || '(nothing declared)'}`,
      });
    }
    selected = closure(nodes, declared.items.filter((i) => only.includes(i.name)).map((i) => idOf(i.kind, i.name)));
  }

  for (const ref of declared.images) {
    const id = idOf('image', ref);
    if (selected && !selected.has(id)) continue;
    const have = observed.images?.has(ref) ?? true;
    changes.set(id, {
      kind: 'image', name: ref, action: have ? 'noop' : 'create', fields: [], drift: false, needs: [],
      reasons: have ? [] : ['not in the local image store: pull it'],
    });
  }

  for (const item of declared.items) {
    const id = idOf(item.kind, item.name);
    if (selected && !selected.has(id)) continue;
    const obs = observed.items.get(id);
    const issues = [...hostLimitIssues(item, facts)];
    const conflict = conflictIssue(item, obs, project);
    if (conflict) issues.push(conflict);
    for (const i of issues) errors.push({ ...i, ...where(i.path) });
    if (issues.length) blockedBy.set(id, issues[0]!.message);
    const change = conflict ? { kind: item.kind, name: item.name, action: 'noop' as const, fields: [], drift: false, reasons: [] } : workloadChange(item, obs, input);
    changes.set(id, { ...change, needs: item.needs });
  }

  // A recreated network drops its attachments: running dependents must be rebuilt too.
  for (const item of declared.items) {
    const c = changes.get(idOf(item.kind, item.name));
    if (!c || c.action !== 'noop' || item.kind === 'network') continue;
    const net = item.needs.map((n) => changes.get(n)).find((n) => n?.kind === 'network' && (n.action === 'replace' || (n.action === 'create' && n.drift)));
    if (net) {
      c.action = 'replace';
      c.reasons = [`network ${net.name} is recreated, so its attachment must be rebuilt`];
    }
  }

  // Blocked items block what needs them (in dependency order).
  for (const id of topoOrder(nodes)) {
    const c = changes.get(id);
    if (!c) continue;
    const own = blockedBy.get(id);
    const dep = c.needs.find((n) => blockedBy.has(n));
    const why = own ?? (dep ? `needs ${dep.replace('/', ' ')}, which is blocked` : undefined);
    if (why) {
      blockedBy.set(id, why);
      c.blocked = why;
    }
  }

  // An image only blocked items use is not worth pulling.
  for (const ref of declared.images) {
    const c = changes.get(idOf('image', ref));
    const users = declared.items.filter((i) => i.needs.includes(idOf('image', ref)) && changes.has(idOf(i.kind, i.name)));
    if (c && users.length && users.every((i) => changes.get(idOf(i.kind, i.name))!.blocked)) {
      c.blocked = `only needed by blocked items (${users.map((i) => `${i.kind} ${i.name}`).join(', ')})`;
    }
  }

  // Whole-file plans prune what the project created but no longer declares.
  if (!selected) {
    const order: Record<string, number> = { vm: 0, capsule: 0, network: 1 };
    const stale = [...observed.items.values()].filter((o) => o.project === project && !changes.has(idOf(o.kind, o.name)));
    stale.sort((a, b) => order[a.kind]! - order[b.kind]! || a.name.localeCompare(b.name));
    for (const o of stale) {
      changes.set(idOf(o.kind, o.name), { kind: o.kind, name: o.name, action: 'delete', fields: [], drift: false, needs: [], reasons: [`no longer declared in ${input.file.split('/').pop()}`] });
    }
  }

  const rank: Record<string, number> = { network: 0, image: 1, vm: 2, capsule: 2 };
  const list = [...changes.values()].sort((a, b) => Number(a.action === 'delete') - Number(b.action === 'delete') || (a.action === 'delete' ? 0 : rank[a.kind]! - rank[b.kind]!));
  const count = (a: PlanAction) => list.filter((c) => c.action === a && !c.blocked).length;
  const summary = {
    create: count('create'), update: count('update'), replace: count('replace'), start: count('start'),
    delete: count('delete'), noop: count('noop'), blocked: list.filter((c) => c.blocked).length,
  };
  errors.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0));
  return {
    file: input.file,
    project,
    changes: list,
    errors,
    summary,
    converged: errors.length === 0 && list.every((c) => c.action === 'noop'),
    ...(input.interrupted ? { interrupted: input.interrupted } : {}),
  };
}

/** Changes `up` will carry out: not noop, not blocked. */
export const actionable = (plan: ProjectPlan): PlanChange[] => plan.changes.filter((c) => c.action !== 'noop' && !c.blocked);

export { splitId };
