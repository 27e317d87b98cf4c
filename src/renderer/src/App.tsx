import { useEffect, useMemo, useState } from 'react';
import type { HostInfo } from '../../shared/contract/host.js';
import { createBridge } from './bridge';
import type { ConnectionState } from './bridge';

/** Spine placeholder: proves the bridge end to end by showing host.info. The real UI is issue #7. */
export function App() {
  const [conn, setConn] = useState<ConnectionState>('connecting');
  const bridge = useMemo(() => createBridge(setConn), []);
  const [info, setInfo] = useState<HostInfo>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    bridge.call('host.info', {}).then(setInfo, (e: Error) => setError(e.message));
  }, [bridge]);

  return (
    <main className="shell">
      <header>
        <h1>Nova</h1>
        <span className={`conn conn-${conn}`} data-testid="connection">{conn}</span>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      {!info && !error && <p>Probing this host…</p>}
      {info && (
        <section aria-label="Host" data-testid="host-info">
          <h2>{info.hostname}</h2>
          <dl>
            <dt>System</dt>
            <dd>{info.os.name}, kernel {info.kernel}</dd>
            <dt>Accelerator</dt>
            <dd data-testid="accelerator" className={info.accelerator.kind === 'kvm' ? '' : 'warn'}>
              {info.accelerator.kind.toUpperCase()} — {info.accelerator.reason}
            </dd>
            <dt>Cgroups</dt>
            <dd>{info.cgroup.layout}</dd>
            <dt>CPUs</dt>
            <dd>{info.cpus}</dd>
          </dl>
        </section>
      )}
    </main>
  );
}
