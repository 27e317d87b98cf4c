import { useCallback, useEffect, useState } from 'react';
import { ErrorNotice } from '../components/ErrorNotice';
import { StateBadge } from '../components/StateBadge';
import { ViewHeader } from '../components/ViewHeader';
import { act } from '../lib/actions';
import { specFacts } from '../lib/inspect';
import { asList, call, errorText, isMissingBackend } from '../lib/rpc';
import { missingText } from '../stores/backends';
import { confirm } from '../stores/confirm';
import { useNav } from '../stores/nav';
import { useResources } from '../stores/resources';

interface Attachment {
  owner?: { kind: string; name: string };
  ifname?: string;
  mac?: string;
  ip?: string;
}

/** One network: state and reason, spec, attachments (detachable) and port forwards. */
export function NetworkDetail({ name }: { name: string }) {
  const go = useNav((s) => s.go);
  const row = useResources((s) => s.items.find((r) => r.kind === 'network' && r.name === name));
  const [inspect, setInspect] = useState<Record<string, unknown>>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    call<Record<string, unknown>>('network.inspect', { name }).then(setInspect, (e) => setError(isMissingBackend(e, 'network.inspect') ? missingText('network') : errorText(e)));
  }, [name]);
  useEffect(load, [load, row?.state]);
  const attachments = asList<Attachment>(inspect?.attachments ?? []);
  const ports = asList<string | Record<string, unknown>>(inspect?.ports ?? inspect?.portForwards ?? (inspect?.spec as Record<string, unknown> | undefined)?.ports ?? []);
  const detach = async (a: Attachment) => {
    if (!a.owner) return;
    if (await confirm({ title: `Detach ${a.owner.name} from ${name}?`, body: 'Its interface on this network is removed; the instance keeps running.', confirmLabel: 'Detach', danger: true })) {
      await act('network.detach', { network: name, owner: a.owner }, `${a.owner.name} detached from ${name}`);
      load();
    }
  };
  return (
    <>
      <ViewHeader title={name} subtitle={row ? <StateBadge state={row.state} reason={row.reason} /> : undefined}>
        <button type="button" onClick={() => go('networks')}>
          ← Back
        </button>
      </ViewHeader>
      {row?.reason && <div className="callout warn">{row.reason}</div>}
      {error && <ErrorNotice message={error} onRetry={load} />}
      {inspect && (
        <div className="cards">
          <section className="card">
            <h2>Configuration</h2>
            <dl className="facts">
              {specFacts(inspect)
                .filter(([k]) => k !== 'attachments' && k !== 'ports')
                .map(([k, v]) => (
                  <div key={k} className="fact">
                    <dt>{k}</dt>
                    <dd>{v}</dd>
                  </div>
                ))}
            </dl>
          </section>
          <section className="card">
            <h2>Attachments</h2>
            {attachments.length === 0 ? (
              <p className="muted">Nothing attached. Attach a VM or capsule from the Topology view or with `nova net attach`.</p>
            ) : (
              <ul className="plain">
                {attachments.map((a, i) => (
                  <li key={i}>
                    {a.owner ? `${a.owner.kind} ${a.owner.name}` : 'unknown'} · {a.ifname} · {a.mac} {a.ip && `· ${a.ip}`}{' '}
                    <button type="button" className="ghost danger" onClick={() => void detach(a)}>
                      Detach
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <h2>Port forwards</h2>
            {ports.length === 0 ? <p className="muted">None.</p> : <ul className="plain">{ports.map((p, i) => <li key={i}>{typeof p === 'string' ? p : JSON.stringify(p)}</li>)}</ul>}
          </section>
        </div>
      )}
    </>
  );
}
