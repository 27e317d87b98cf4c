import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Output } from '../../../shared/contract.js';
import type { ApplyOutcome, ProjectPlan } from '../../../shared/contract/novafile-apply.js';
import { ApplyOutcomes, ApplyProgress } from '../components/ApplyProgress';
import { ErrorNotice } from '../components/ErrorNotice';
import { NovafileIssues } from '../components/NovafileIssues';
import { PlanDiff } from '../components/PlanDiff';
import { debounce } from '../lib/debounce';
import { call, errorText, on } from '../lib/rpc';
import { confirm } from '../stores/confirm';
import { useResources } from '../stores/resources';
import { toast } from '../stores/toasts';

type Validation = Output<'novafile.validate'>;
type Busy = 'up' | 'down' | undefined;

/**
 * One NovaFile project: validation errors at file:line:column, the plan as a diff (with drift,
 * re-planned when its items change on the host or the window regains focus), Apply and Destroy
 * with per-item progress and their outcome.
 */
export function ProjectDetail({ folder }: { folder: string }) {
  const [validation, setValidation] = useState<Validation>();
  const [plan, setPlan] = useState<ProjectPlan>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<Busy>();
  const [outcome, setOutcome] = useState<{ title: string; items: ApplyOutcome[] }>();
  const resources = useResources((s) => s.items);
  const project = plan?.project ?? validation?.project;

  const refresh = useCallback(async () => {
    try {
      const v = await call('novafile.validate', { cwd: folder });
      setValidation(v);
      setPlan(v.valid ? await call('novafile.plan', { cwd: folder }) : undefined);
      setError(undefined);
    } catch (e) {
      setError(errorText(e));
      setPlan(undefined);
    }
  }, [folder]);
  const later = useMemo(() => debounce(() => void refresh(), 500), [refresh]);
  useEffect(() => {
    setValidation(undefined);
    setPlan(undefined);
    setOutcome(undefined);
    void refresh();
    const onFocus = () => later();
    window.addEventListener('focus', onFocus);
    const off = on('resource.changed', () => later());
    return () => {
      window.removeEventListener('focus', onFocus);
      off();
    };
  }, [refresh, later]);

  const run = async (what: 'up' | 'down') => {
    if (what === 'down' && !(await confirm({ title: `Destroy project ${project}?`, body: 'Everything this project created is stopped and removed (only that). VM disks and volumes are kept.', confirmLabel: 'Destroy', danger: true }))) return;
    setBusy(what);
    setOutcome(undefined);
    try {
      if (what === 'up') {
        const r = await call('novafile.up', { cwd: folder });
        setOutcome({ title: r.ok ? `Applied: ${r.message}` : 'Apply failed', items: r.applied });
        toast(r.ok ? 'success' : 'error', `${project}: ${r.ok ? 'applied' : 'apply failed'}`, r.message);
      } else {
        const r = await call('novafile.down', { cwd: folder });
        setOutcome({ title: r.ok ? `Destroyed: ${r.message}` : 'Destroy failed', items: r.removed });
        toast(r.ok ? 'success' : 'error', `${project}: ${r.ok ? 'destroyed' : 'destroy failed'}`, r.message);
      }
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(undefined);
      useResources.getState().refetch();
      void refresh();
    }
  };

  const stateOf = (kind: string, name: string) => resources.find((r) => r.kind === kind && r.name === name)?.state;
  const blocked = Boolean(busy) || !validation?.valid || (plan?.errors.length ?? 0) > 0;
  return (
    <div className="project" data-testid="project-detail">
      <div className="card-head">
        <h2 className="wrap">{project ?? folder}</h2>
        <span className="muted wrap">{validation?.file ?? folder}</span>
        <button type="button" onClick={() => void refresh()} disabled={Boolean(busy)}>Re-plan</button>
        <button type="button" className="primary" onClick={() => void run('up')} disabled={blocked || plan?.converged}>{busy === 'up' ? 'Applying…' : 'Apply'}</button>
        <button type="button" className="danger" onClick={() => void run('down')} disabled={Boolean(busy) || !project}>{busy === 'down' ? 'Destroying…' : 'Destroy'}</button>
      </div>
      {error && <ErrorNotice message={error} onRetry={() => void refresh()} />}
      {validation && !validation.valid && <NovafileIssues file={validation.file} issues={validation.errors} title="The NovaFile has errors" />}
      {plan && plan.errors.length > 0 && <NovafileIssues file={plan.file} issues={plan.errors} title="This host cannot apply all of it" />}
      {busy && project && <ApplyProgress project={project} />}
      {outcome && <ApplyOutcomes title={outcome.title} outcomes={outcome.items} />}
      {plan && <PlanDiff plan={plan} stateOf={stateOf} />}
    </div>
  );
}
