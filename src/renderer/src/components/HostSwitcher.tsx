import { useEffect } from 'react';
import { LOCAL, useHosts } from '../stores/hosts';

/** Which host the window shows: this host (the usual views), all hosts, or one remote host. */
export function HostSwitcher() {
  const { scope, names, hosts, setScope } = useHosts();
  useEffect(() => {
    void useHosts.getState().refresh();
  }, []);
  return (
    <label className="host-switcher">
      <span className="muted">Host</span>
      <select value={scope} onChange={(e) => setScope(e.target.value)} data-testid="host-switcher" aria-label="Host">
        <option value={LOCAL}>This host</option>
        <option value="all">All hosts</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
            {hosts[n]?.status === 'unreachable' ? ' (unreachable)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
