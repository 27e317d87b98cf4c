import { useCallback, useEffect, useState } from 'react';
import type { NetworkInfo } from '../../../shared/contract/network.js';
import { ErrorNotice } from '../components/ErrorNotice';
import { ForwardForm } from '../components/ForwardForm';
import { useNetworkRemoval } from '../components/NetworkRemoveDialog';
import { StateBadge } from '../components/StateBadge';
import { ViewHeader } from '../components/ViewHeader';
import { act } from '../lib/actions';
import { call, errorText } from '../lib/rpc';
import { confirm } from '../stores/confirm';
import { useNav } from '../stores/nav';
import { useResources } from '../stores/resources';

interface Lease {
  mac: string;
  ip: string;
  hostname?: string;
  static: boolean;
}

/** One network: state and reason, effective settings, attachments, port forwards, DNS, leases. */
export function NetworkDetail({ name }: { name: string }) {
  const go = useNav((s) => s.go);
  const row = useResources((s) => s.items.find((r) => r.kind === 'network' && r.name === name));
  const [info, setInfo] = useState<NetworkInfo>();
  const [leases, setLeases] = useState<Lease[]>([]);
  const [error, setError] = useState<string>();
  const removal = useNetworkRemoval(() => go('networks'));
  const load = useCallback(() => {
    call('network.inspect', { name }).then(
      (v) => {
        setInfo(v);
        setError(undefined);
      },
      (e) => setError(errorText(e)),
    );
    call('network.leases', { name }).then((v) => setLeases(v.items), () => setLeases([]));
  }, [name]);
  useEffect(load, [load, row?.state]);

  const detach = async (owner: NetworkInfo['attachments'][number]['owner']) => {
    if (await confirm({ title: `Detach ${owner.name} from ${name}?`, body: 'Its interface on this network is removed; its address stays reserved.', confirmLabel: 'Detach', danger: true }))
      if (await act('network.detach', { network: name, owner }, `${owner.name} detached from ${name}`)) load();
  };
  const unforward = async (f: NetworkInfo['forwards'][number]) => {
    if (await confirm({ title: `Remove forward ${f.port}?`, body: `Traffic to host port ${f.port.split(':').slice(-2, -1)[0]} stops reaching ${f.owner.name}.`, confirmLabel: 'Remove', danger: true }))
      if (await act('network.forward.rm', { network: name, owner: f.owner, port: f.port }, `Forward ${f.port} removed`)) load();
  };
  const state = row?.state ?? info?.state;
  const reason = row?.reason ?? info?.reason;
  return (
    <>
      <ViewHeader title={name} subtitle={state ? <StateBadge state={state} reason={reason} /> : undefined}>
        <button type="button" onClick={() => go('networks')}>
          ← Back
        </button>
        <button type="button" className="danger ghost" onClick={() => void removal.ask(name)}>
          Remove network…
        </button>
      </ViewHeader>
      {removal.dialog}
      {reason && <div className="callout warn">{reason}</div>}
      {error && <ErrorNotice message={error} onRetry={load} />}
      {info && (
        <div className="cards" data-testid="network-detail">
          <section className="card">
            <h2>Configuration</h2>
            <dl className="facts">
              {[
                ['Type', `${info.spec.type}${info.spec.profile ? ` · ${info.spec.profile}` : ''}`],
                ['Bridge', info.bridge],
                ['Subnet', info.subnet ?? '—'],
                ['Gateway', info.gateway ?? '—'],
                ['DHCP', info.dhcpRange ?? 'off'],
                ['DNS domain', info.domain],
                ['Uplink', info.spec.uplink ?? '—'],
                ...(info.spec.type === 'overlay' ? [['Overlay', `${info.spec.driver ?? ''}${info.overlay?.mode ? ` (${info.overlay.mode})` : ''} · MTU ${info.overlay?.mtu ?? '—'} · vni ${info.spec.vni ?? 'auto'}`]] : []),
                ...(info.overlay?.identity ? [['This host (for peers)', `${info.overlay.identity}@…:${info.overlay.listenPort ?? ''}`]] : []),
                ...(info.spec.type === 'overlay' ? [['Peers', (info.overlay?.peers ?? info.spec.peers.map((peer) => ({ peer, reachable: false }))).map((p) => `${p.peer.slice(p.peer.lastIndexOf('@') + 1)} ${p.reachable ? 'reachable' : 'unreachable'}`).join(', ') || '—']] : []),
                ['Project', info.project ?? '—'],
              ].map(([k, v]) => (
                <div key={k} className="fact">
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          </section>
          <section className="card">
            <h2>Attachments ({info.attachments.length})</h2>
            {info.attachments.length === 0 ? (
              <p className="muted">Nothing attached. Drag a VM or capsule onto this network in Topology, or run `nova net attach {name} vm NAME`.</p>
            ) : (
              <ul className="plain" data-testid="attachments">
                {info.attachments.map((a) => (
                  <li key={`${a.owner.kind}/${a.owner.name}`}>
                    <strong>{a.owner.name}</strong> <span className="muted">({a.owner.kind})</span> {a.ifname} · {a.mac} {a.ip && `· ${a.ip}`} {!a.attached && <span className="badge badge-warn">not attached</span>}{' '}
                    <button type="button" className="ghost danger" onClick={() => void detach(a.owner)}>
                      Detach
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card">
            <h2>Port forwards</h2>
            {info.forwards.length === 0 ? (
              <p className="muted">None.</p>
            ) : (
              <ul className="plain" data-testid="forwards">
                {info.forwards.map((f) => (
                  <li key={`${f.owner.name}/${f.port}`}>
                    <code>{f.port}</code> → {f.owner.name} {f.target && <span className="muted">({f.target})</span>}{' '}
                    <button type="button" className="ghost danger" onClick={() => void unforward(f)}>
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <ForwardForm network={name} owners={info.attachments.map((a) => a.owner)} onAdded={load} />
          </section>
          <section className="card">
            <h2>DHCP leases</h2>
            {leases.length === 0 ? (
              <p className="muted">No leases yet.</p>
            ) : (
              <ul className="plain" data-testid="network-leases">
                {leases.map((l) => (
                  <li key={l.mac}>
                    {l.ip} · {l.mac} {l.hostname && `· ${l.hostname}`} {l.static && <span className="badge badge-muted">static</span>}
                  </li>
                ))}
              </ul>
            )}
            <h2>DNS records</h2>
            {info.records.length === 0 ? <p className="muted">Only the automatic names of attached instances.</p> : <ul className="plain">{info.records.map((r) => <li key={r.name}>{r.name} → {r.ip ?? `${r.service} ${r.target ?? ''}:${r.port}`}</li>)}</ul>}
          </section>
        </div>
      )}
    </>
  );
}
