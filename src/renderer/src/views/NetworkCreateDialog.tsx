import { useEffect, useState } from 'react';
import { Modal } from '../components/Modal';
import { WizardField } from '../components/WizardField';
import { act } from '../lib/actions';
import type { NetForm } from '../lib/network';
import { emptyNetForm, netProblems, netSpec, suggestRange } from '../lib/network';
import { call } from '../lib/rpc';

/** Host interfaces for the uplink picker (none when the engine cannot list them). */
async function hostInterfaces(): Promise<string[]> {
  try {
    return (await call('network.interfaces', {})).items.map((i) => i.name);
  } catch {
    return [];
  }
}

export function NetworkCreateDialog({ open, onOpenChange }: { open: boolean; onOpenChange(o: boolean): void }) {
  const [f, setF] = useState<NetForm>(emptyNetForm());
  const [ifaces, setIfaces] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const problems = netProblems(f);
  const up = (patch: Partial<NetForm>) => setF((x) => ({ ...x, ...patch }));
  useEffect(() => {
    if (!open) return;
    setF(emptyNetForm());
    void hostInterfaces().then(setIfaces);
  }, [open]);
  const range = suggestRange(f.subnet);
  const submit = async () => {
    setBusy(true);
    const ok = await act('network.create', { name: f.name, spec: netSpec(f) }, `Network ${f.name} created`);
    setBusy(false);
    if (ok) onOpenChange(false);
  };
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="New network" description="A Linux bridge (or VXLAN overlay) with optional NAT, DHCP and DNS.">
      <form
        className="form-grid"
        data-testid="network-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (Object.keys(problems).length === 0) void submit();
        }}
      >
        <WizardField label="Name" error={f.name ? problems.name : undefined}>
          <input value={f.name} onChange={(e) => up({ name: e.target.value })} autoFocus placeholder="lab0" />
        </WizardField>
        <WizardField label="Type">
          <select value={f.type} onChange={(e) => up({ type: e.target.value as NetForm['type'] })}>
            <option value="bridge">Bridge</option>
            <option value="overlay">Overlay (VXLAN)</option>
          </select>
        </WizardField>
        <WizardField label="Profile">
          <select value={f.profile} onChange={(e) => up({ profile: e.target.value as NetForm['profile'] })}>
            <option value="nat">NAT — guests reach out through the host</option>
            <option value="external">External — bridged onto a host interface</option>
            <option value="isolated">Isolated — guests and host only</option>
          </select>
        </WizardField>
        <WizardField label="Subnet (gateway/prefix)" error={problems.subnet}>
          <input value={f.subnet} onChange={(e) => up({ subnet: e.target.value })} placeholder="192.168.220.1/24" />
        </WizardField>
        <WizardField label="DHCP range" error={problems.dhcpStart}>
          <span className="inline">
            <input aria-label="DHCP start" value={f.dhcpStart} placeholder={range?.[0] ?? 'start'} onChange={(e) => up({ dhcpStart: e.target.value })} />
            <span>–</span>
            <input aria-label="DHCP end" value={f.dhcpEnd} placeholder={range?.[1] ?? 'end'} onChange={(e) => up({ dhcpEnd: e.target.value })} />
            {range && (
              <button type="button" className="ghost" onClick={() => up({ dhcpStart: range[0], dhcpEnd: range[1] })}>
                Suggest
              </button>
            )}
          </span>
        </WizardField>
        {f.profile === 'external' && (
          <WizardField label="Uplink (host interface)" error={problems.uplink}>
            {ifaces.length > 0 ? (
              <select value={f.uplink} onChange={(e) => up({ uplink: e.target.value })}>
                <option value="">Pick an interface…</option>
                {ifaces.map((i) => (
                  <option key={i}>{i}</option>
                ))}
              </select>
            ) : (
              <input value={f.uplink} onChange={(e) => up({ uplink: e.target.value })} placeholder="enp6s0" />
            )}
          </WizardField>
        )}
        {f.type === 'overlay' && (
          <>
            <WizardField label="Driver">
              <select value={f.driver} onChange={(e) => up({ driver: e.target.value as NetForm['driver'] })}>
                <option value="wireguard">WireGuard (encrypted)</option>
                <option value="vxlan">VXLAN (clear text, trusted links only)</option>
              </select>
            </WizardField>
            <WizardField label="VNI" error={problems.vni}>
              <input value={f.vni} onChange={(e) => up({ vni: e.target.value })} placeholder="4242" />
            </WizardField>
            <WizardField label={f.driver === 'wireguard' ? 'Peers (PUBLICKEY@host:port, comma separated; can be added later)' : 'Peers (IPv4, comma separated)'}>
              <input value={f.peers} onChange={(e) => up({ peers: e.target.value })} placeholder={f.driver === 'wireguard' ? 'hIfW…pLUg=@192.0.2.11:51820' : '10.0.0.2, 10.0.0.3'} />
            </WizardField>
          </>
        )}
        <div className="modal-actions">
          <button type="button" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || Object.keys(problems).length > 0}>
            {busy ? 'Creating…' : 'Create network'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
