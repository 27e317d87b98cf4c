import { useEffect, useState } from 'react';
import type { ClusterStatus } from '../../../shared/contract/cluster.js';
import { bytes } from '../lib/format';
import { call, errorText } from '../lib/rpc';
import { StateBadge } from './StateBadge';
import { TableHead } from './TableHead';

// The cluster this host is in (issue #23): every host alive or down, what placement may book on
// it and what is booked, its labels. Polled every 2 s (a host's lease expires in 5 s), so a host
// that dies turns "down" within seconds.

const POLL_MS = 2_000;

export const clusterCells = (h: ClusterStatus['hosts'][number]) => ({
  cpus: h.capacity ? `${h.bookedCpus}/${h.capacity.allocatableCpus}` : '—',
  memory: h.capacity ? `${bytes(h.bookedMemoryBytes)}/${bytes(h.capacity.allocatableMemoryBytes)}` : '—',
  free: h.capacity ? bytes(h.capacity.memoryAvailableBytes) : '—',
  labels: Object.entries(h.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '—',
});

export function ClusterHosts({ pollMs = POLL_MS }: { pollMs?: number }) {
  const [status, setStatus] = useState<ClusterStatus>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    const load = () =>
      call('cluster.status', {}).then(
        (s) => live && (setStatus(s), setError(undefined)),
        (e: unknown) => live && setError(errorText(e)),
      );
    void load();
    const timer = setInterval(() => void load(), pollMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [pollMs]);
  if (error) return <p className="warn">Cluster: {error}</p>;
  if (!status?.joined) return null;
  return (
    <section className="card host-card" data-testid="cluster-hosts" data-state={status.state}>
      <div className="card-head">
        <h2>Cluster {status.cluster}</h2>
        <StateBadge state={status.state === 'healthy' ? 'up' : 'degraded'} reason={status.reason} />
        <span className="muted">
          this host: {status.name}
          {status.leader ? ` · etcd leader: ${status.leader}` : ''}
          {status.reason ? ` · ${status.reason}` : ''}
        </span>
      </div>
      <table className="table">
        <TableHead columns={['Host', 'State', 'Address', 'CPUs booked', 'Memory booked', 'Memory free', 'Items', 'Labels']} />
        <tbody>
          {status.hosts.map((h) => {
            const c = clusterCells(h);
            return (
              <tr key={h.name} data-testid={`cluster-host-${h.name}`} data-alive={h.alive}>
                <td>{h.name}</td>
                <td>
                  <StateBadge state={h.alive ? 'up' : 'down'} />
                </td>
                <td>{h.address ?? '—'}</td>
                <td>{c.cpus}</td>
                <td>{c.memory}</td>
                <td>{c.free}</td>
                <td>{h.items}</td>
                <td className="muted">{c.labels}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
