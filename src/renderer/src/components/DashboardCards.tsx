// The dashboard's cards. Each subscribes only to the store fields it shows, so a resource list
// arriving re-renders the Resources card, not the host facts, tools and activity beside it.
import { useShallow } from 'zustand/react/shallow';
import { bytes, clock } from '../lib/format';
import { useActivity } from '../stores/activity';
import { useHost } from '../stores/host';
import { useNav } from '../stores/nav';
import { useResources } from '../stores/resources';
import { ErrorNotice } from './ErrorNotice';
import { ResourceCounts } from './ResourceCounts';
import { StateBadge } from './StateBadge';

export function HostFactsCard() {
  const { info, status } = useHost(useShallow((s) => ({ info: s.info, status: s.status })));
  return (
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
        <p className="muted">{status === 'error' ? 'Unavailable' : 'Probing…'}</p>
      )}
    </div>
  );
}

export function ResourcesCard() {
  const { items, status, error, fetch } = useResources(useShallow((s) => ({ items: s.items, status: s.status, error: s.error, fetch: s.fetch })));
  const go = useNav((s) => s.go);
  return (
    <div className="card">
      <h2>Resources</h2>
      {error ? (
        <ErrorNotice message={error} onRetry={() => void fetch()} />
      ) : status !== 'ready' ? (
        <p className="muted">Loading…</p>
      ) : (
        <ResourceCounts items={items} onOpen={(v) => go(v)} />
      )}
    </div>
  );
}

export function HostToolsCard() {
  const tools = useHost((s) => s.info?.tools);
  const missing = tools?.filter((t) => !t.found) ?? [];
  return (
    <div className="card">
      <h2>Host tools</h2>
      {!tools ? (
        <p className="muted">Probing…</p>
      ) : missing.length === 0 ? (
        <p className="ok-text">All {tools.length} tools Nova uses are installed.</p>
      ) : (
        <ul className="tool-list" data-testid="missing-tools">
          {missing.map((t) => (
            <li key={t.name}>
              <strong>{t.name}</strong> missing ({t.purpose}) — install <code>apt install {t.package.debian}</code> or <code>pacman -S {t.package.arch}</code>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const KIND = { vm: 'VM', capsule: 'Capsule', network: 'Network' } as const;

export function ActivityCard() {
  const activity = useActivity((s) => s.items);
  return (
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
  );
}
