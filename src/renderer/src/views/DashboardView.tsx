import { ViewHeader } from '../components/ViewHeader';
import { ErrorNotice } from '../components/ErrorNotice';
import { HostGraphs } from '../components/HostGraphs';
import { StateBadge } from '../components/StateBadge';
import { ResourceCounts } from '../components/ResourceCounts';
import { bytes, clock } from '../lib/format';
import { useActivity } from '../stores/activity';
import { useHost } from '../stores/host';
import { useNav } from '../stores/nav';
import { useResources } from '../stores/resources';

/** Host facts and what runs on it; each part renders as soon as its own data arrives. */
export function DashboardView() {
  const host = useHost();
  const res = useResources();
  const go = useNav((s) => s.go);
  const activity = useActivity((s) => s.items);
  const info = host.info;
  const missingTools = info?.tools.filter((t) => !t.found) ?? [];
  return (
    <>
      <ViewHeader title="Dashboard" subtitle={info ? `${info.hostname} · ${info.os.name}` : 'Probing this host…'}>
        <button type="button" onClick={() => void host.fetch(true)}>
          Re-probe host
        </button>
      </ViewHeader>
      {host.error && <ErrorNotice message={`Could not read host facts: ${host.error}`} onRetry={() => void host.fetch()} />}
      {info && info.accelerator.kind !== 'kvm' && (
        <div className="callout warn" role="note" data-testid="tcg-warning">
          <strong>{info.accelerator.kind.toUpperCase()}: no hardware acceleration.</strong> {info.accelerator.reason}
        </div>
      )}
      <section className="cards" aria-label="Host" data-testid="host-info">
        <div className="card">
          <h2>Host</h2>
          {info ? (
            <dl className="facts">
              <dt>Name</dt>
              <dd>{info.hostname}</dd>
              <dt>System</dt>
              <dd>
                {info.os.name}, kernel {info.kernel} ({info.arch})
              </dd>
              <dt>CPUs</dt>
              <dd>{info.cpus}</dd>
              <dt>Memory</dt>
              <dd>{bytes(info.memoryBytes)}</dd>
              <dt>Accelerator</dt>
              <dd>
                <StateBadge state={info.accelerator.kind.toUpperCase()} />
              </dd>
              <dt>Cgroups</dt>
              <dd title={info.cgroup.detail}>{info.cgroup.layout}</dd>
              <dt>Wayland</dt>
              <dd>{info.wayland.detail}</dd>
            </dl>
          ) : (
            <p className="muted">{host.status === 'error' ? 'Unavailable' : 'Probing…'}</p>
          )}
        </div>
        <HostGraphs />
        <div className="card">
          <h2>Resources</h2>
          {res.error ? (
            <ErrorNotice message={res.error} onRetry={() => void res.fetch()} />
          ) : res.status !== 'ready' ? (
            <p className="muted">Loading…</p>
          ) : (
            <ResourceCounts items={res.items} onOpen={(v) => go(v)} />
          )}
        </div>
        <div className="card">
          <h2>Host tools</h2>
          {!info ? (
            <p className="muted">Probing…</p>
          ) : missingTools.length === 0 ? (
            <p className="ok-text">All {info.tools.length} tools Nova uses are installed.</p>
          ) : (
            <ul className="tool-list" data-testid="missing-tools">
              {missingTools.map((t) => (
                <li key={t.name}>
                  <strong>{t.name}</strong> missing ({t.purpose}) — install <code>apt install {t.package.debian}</code> or <code>pacman -S {t.package.arch}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="card" data-testid="recent-activity">
          <h2>Recent activity</h2>
          {activity.length === 0 ? (
            <p className="muted">No state changes since the app opened. Starts, stops and crashes show here, whoever caused them.</p>
          ) : (
            <ul className="plain">
              {activity.map((a) => (
                <li key={`${a.at}-${a.kind}-${a.name}`}>
                  <span className="muted">{clock(a.at)}</span> {KIND[a.kind]} <strong>{a.name}</strong> <StateBadge state={a.state} reason={a.reason} />
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
    </>
  );
}

const KIND = { vm: 'VM', capsule: 'Capsule', network: 'Network' } as const;
