import { useEffect, useState } from 'react';
import { call } from '../lib/rpc';
import { seriesKey, useMetrics } from '../stores/metrics';

const REFRESH_MS = 15_000;

/**
 * A running VM's IP addresses (its switches' DHCP leases, else its guest agent), asked when it
 * starts running and every 15 s while it runs; a dash with the reason while there is none.
 */
export function VmIpCell({ name, state }: { name: string; state: string }) {
  const [ips, setIps] = useState<{ list: string[]; reason?: string }>();
  useEffect(() => {
    if (state !== 'running') return setIps(undefined);
    let live = true;
    const ask = () =>
      call('vm.addresses', { name }).then(
        (r) => live && setIps({ list: r.addresses.map((a) => a.ip), ...(r.reason ? { reason: r.reason } : {}) }),
        () => undefined,
      );
    void ask();
    const t = setInterval(() => void ask(), REFRESH_MS);
    return () => ((live = false), clearInterval(t));
  }, [name, state]);
  if (!ips || ips.list.length === 0) return <td className="muted" data-testid="vm-ip" title={ips?.reason}>—</td>;
  return (
    <td data-testid="vm-ip" title={ips.list.join(', ')}>
      {ips.list[0]}
      {ips.list.length > 1 && <span className="muted"> +{ips.list.length - 1}</span>}
    </td>
  );
}

/** CPU use of a running VM's QEMU from the engine's latest metrics.sample (% of one core). */
export function VmCpuCell({ name, state }: { name: string; state: string }) {
  const pct = useMetrics((s) => s.series[seriesKey('vm', name)]?.at(-1)?.values.cpuPercent);
  const shown = state === 'running' && pct !== undefined;
  return (
    <td className="num" data-testid="vm-cpu" title="CPU time of the VM's QEMU process, % of one host core">
      {shown ? `${pct < 10 ? pct.toFixed(1) : Math.round(pct)}%` : <span className="muted">—</span>}
    </td>
  );
}
