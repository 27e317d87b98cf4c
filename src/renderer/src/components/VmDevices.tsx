import type { Output } from '../../../shared/contract.js';
import { PORT_FORWARD } from '../lib/ports';

// A VM's network cards and shared folders on its overview, as tables: the first card (network /
// nics[0]), the declared ones after it, those attached with vm.nic.attach; each share's driver and
// the command that mounts it in the guest.

type VmInspect = Output<'vm.inspect'>;
interface NicRow { network: string; mac: string; model: string; state: string; ports: string[] }

const STATE_TEXT: Record<string, string> = { attached: 'attached', 'next-start': 'at the next start' };

/** "127.0.0.1:8080:80/udp" → "host 127.0.0.1:8080 → guest 80 (udp)". */
export function forwardText(f: string): string {
  const m = PORT_FORWARD.exec(f);
  if (!m) return f;
  return `host ${m[1] ? `${m[1]}:` : ''}${m[2]} → guest ${m[3]}${m[4] === 'udp' ? ' (udp)' : ''}`;
}

export function nicRows(vm: VmInspect): NicRow[] {
  const spec = vm.spec;
  const live = vm.state === 'running' || vm.state === 'paused';
  const first = spec.nics?.[0] ?? { network: spec.network ?? 'user', ports: spec.ports, model: undefined };
  if (first.network === 'none') return [];
  const infos = vm.nics ?? [];
  const declared = infos.filter((n) => n.declared);
  const rows: NicRow[] = [{ network: first.network === 'user' ? 'user-mode NAT' : first.network, mac: vm.mac, model: first.model ?? 'virtio', state: live ? 'attached' : 'at the next start', ports: first.ports ?? [] }];
  (spec.nics ?? []).slice(1).forEach((n, i) => {
    const info = declared[i];
    rows.push({ network: n.network === 'user' ? 'user-mode NAT' : n.network, mac: info?.mac ?? n.mac ?? '—', model: n.model ?? 'virtio', state: info ? (STATE_TEXT[info.state] ?? info.state) : '—', ports: n.ports ?? [] });
  });
  for (const n of infos.filter((x) => !x.declared)) rows.push({ network: n.network, mac: n.mac, model: 'virtio', state: `${STATE_TEXT[n.state] ?? n.state} (attached later)`, ports: [] });
  return rows;
}

export function VmDevices({ vm }: { vm: VmInspect }) {
  const nics = nicRows(vm);
  const shares = vm.shares ?? [];
  return (
    <>
      <h2 className="section-title">Network cards</h2>
      {nics.length === 0 ? (
        <p className="muted">No network (network = "none").</p>
      ) : (
        <table className="table" data-testid="vm-nics">
          <thead><tr><th>#</th><th>Network</th><th>MAC</th><th>Model</th><th>State</th><th>Port forwards</th></tr></thead>
          <tbody>
            {nics.map((n, i) => (
              <tr key={i} data-testid={`vm-nic-${i}`}>
                <td className="num">{i + 1}</td>
                <td>{n.network}</td>
                <td><code>{n.mac}</code></td>
                <td>{n.model}</td>
                <td>{n.state}</td>
                <td>{n.ports.length ? n.ports.map(forwardText).join(', ') : <span className="muted">none</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shares.length > 0 && (
        <>
          <h2 className="section-title">Shared folders</h2>
          <table className="table" data-testid="vm-shares">
            <thead><tr><th>Tag</th><th>Host folder</th><th>Driver</th><th>Access</th><th>Mount in the guest</th></tr></thead>
            <tbody>
              {shares.map((s) => (
                <tr key={s.tag} data-testid={`vm-share-${s.tag}`}>
                  <td>{s.tag}</td>
                  <td className="wrap"><code>{s.host}</code></td>
                  <td>{s.driver}{s.reason && <span className="muted"> — {s.reason}</span>}</td>
                  <td>{s.readonly ? 'read-only' : 'read-write'}</td>
                  <td className="wrap"><code>{s.mount}</code></td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
