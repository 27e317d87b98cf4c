import type { PlanAction, PlanChange, ProjectPlan } from '../../../shared/contract/novafile-apply.js';

const MARK: Record<PlanAction, string> = { create: '+', update: '~', replace: '±', start: '▶', delete: '−', noop: '=' };
const VERB: Record<PlanAction, string> = { create: 'create', update: 'update in place', replace: 'replace', start: 'start', delete: 'delete', noop: 'up to date' };

function ChangeRow({ c, state }: { c: PlanChange; state?: string | undefined }) {
  return (
    <li className={`plan-change plan-${c.action}${c.blocked ? ' plan-blocked' : ''}`} data-testid={`plan-${c.kind}-${c.name}`} data-action={c.action}>
      <div className="plan-line">
        <span className="plan-mark" aria-hidden>{MARK[c.action]}</span>
        <span className="plan-item">{c.kind} {c.name}</span>
        <span className="plan-verb">{VERB[c.action]}</span>
        {c.drift && <span className="badge badge-warn" title="Changed on the host outside this NovaFile">drift</span>}
        {state && <span className="muted">now {state}</span>}
      </div>
      {c.reasons.length > 0 && (
        <ul className="plan-reasons">
          {c.reasons.map((r) => <li key={r}>{r}</li>)}
        </ul>
      )}
      {c.blocked && <div className="plan-reasons warn-text">blocked: {c.blocked}</div>}
    </li>
  );
}

/** The plan as a diff: one line per item with what `up` would do and why (field: old → new). */
export function PlanDiff({ plan, stateOf }: { plan: ProjectPlan; stateOf(kind: string, name: string): string | undefined }) {
  const s = plan.summary;
  const counts = (['create', 'update', 'replace', 'start', 'delete'] as const).filter((k) => s[k] > 0).map((k) => `${s[k]} to ${k}`);
  return (
    <section className="card" aria-label="Plan" data-testid="plan">
      <div className="card-head">
        <h2>Plan</h2>
        <span className="muted" data-testid="plan-summary">
          {plan.converged ? 'Nothing to do: the host matches the NovaFile.' : `${counts.join(', ')}${s.blocked ? `, ${s.blocked} blocked` : ''}`}
        </span>
      </div>
      {plan.interrupted && <div className="callout warn">{plan.interrupted}</div>}
      <ul className="plan-diff">
        {plan.changes.map((c) => <ChangeRow key={`${c.kind}/${c.name}`} c={c} state={stateOf(c.kind === 'capsule' ? 'capsule' : c.kind, c.name)} />)}
      </ul>
    </section>
  );
}
