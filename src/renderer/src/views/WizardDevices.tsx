import type { WizardState } from '../lib/wizard';
import { NIC_MODELS, SHARE_DRIVERS, tagFor } from '../lib/wizardDevices';
import type { NicModel, WizardShare } from '../lib/wizardDevices';

// The wizard's NICs after the first (Network step) and its shared folders (own step).

interface StepProps {
  s: WizardState;
  up(patch: Partial<WizardState>): void;
  error?: string | undefined;
}

export function MoreNics({ s, up, error, networks }: StepProps & { networks: string[] }) {
  const set = (i: number, patch: Partial<WizardState['nics'][number]>) => up({ nics: s.nics.map((n, j) => (j === i ? { ...n, ...patch } : n)) });
  return (
    <fieldset className="rows" data-testid="wizard-nics">
      <legend>More network cards</legend>
      {s.nics.map((n, i) => (
        <div key={i} className="row" data-testid={`wizard-nic-${i + 1}`}>
          <select aria-label={`NIC ${i + 2} network`} value={n.network} onChange={(e) => set(i, { network: e.target.value })}>
            <option value="">Pick a network…</option>
            <option value="user">user-mode NAT (no switch)</option>
            {networks.map((x) => <option key={x} value={x}>{x}</option>)}
          </select>
          <select aria-label={`NIC ${i + 2} model`} value={n.model} onChange={(e) => set(i, { model: e.target.value as NicModel })}>
            {NIC_MODELS.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
          {n.network === 'user' && <input aria-label={`NIC ${i + 2} port forwards`} placeholder="8080:80, 2222:22" value={n.ports ?? ''} onChange={(e) => set(i, { ports: e.target.value })} />}
          <button type="button" aria-label={`Remove NIC ${i + 2}`} onClick={() => up({ nics: s.nics.filter((_, j) => j !== i) })}>Remove</button>
        </div>
      ))}
      <button type="button" onClick={() => up({ nics: [...s.nics, { network: '', model: 'virtio' }] })} disabled={s.nics.length >= 7}>Add a network card</button>
      {error && <p className="field-error">{error}</p>}
      <p className="hint">Each card gets its own MAC address and, on a switch, its own TAP. A user-mode card forwards host ports to the guest (host:guest).</p>
    </fieldset>
  );
}

export function SharesStep({ s, up, error }: StepProps) {
  const set = (i: number, patch: Partial<WizardShare>) => up({ shares: s.shares.map((x, j) => (j === i ? { ...x, ...patch } : x)) });
  return (
    <div className="rows" data-testid="wizard-shares">
      {s.shares.length === 0 && <p className="muted">No shared folders. A shared folder is a host folder the guest mounts by its tag (virtiofs, or 9p where virtiofsd cannot run).</p>}
      {s.shares.map((sh, i) => (
        <div key={i} className="row" data-testid={`wizard-share-${i}`}>
          <input aria-label={`Folder ${i + 1} host path`} placeholder="/home/you/project" value={sh.host} onChange={(e) => set(i, { host: e.target.value, ...(sh.tag === tagFor(sh.host) ? { tag: tagFor(e.target.value) } : {}) })} />
          <input aria-label={`Folder ${i + 1} tag`} placeholder="tag" value={sh.tag} onChange={(e) => set(i, { tag: e.target.value })} />
          <label className="check"><input type="checkbox" checked={sh.readonly} onChange={(e) => set(i, { readonly: e.target.checked })} /> Read-only</label>
          <select aria-label={`Folder ${i + 1} driver`} value={sh.driver} onChange={(e) => set(i, { driver: e.target.value as WizardShare['driver'] })}>
            {SHARE_DRIVERS.map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
          <button type="button" aria-label={`Remove folder ${i + 1}`} onClick={() => up({ shares: s.shares.filter((_, j) => j !== i) })}>Remove</button>
        </div>
      ))}
      <button type="button" onClick={() => up({ shares: [...s.shares, { host: '', tag: '', readonly: false, driver: 'auto' }] })} disabled={s.shares.length >= 8}>Add a shared folder</button>
      {error && <p className="field-error">{error}</p>}
      {s.shares.length > 0 && <p className="hint">In the guest: <code>mount -t virtiofs TAG /mnt/TAG</code> (virtiofs) — the VM&apos;s page shows each share&apos;s exact command once it runs.</p>}
    </div>
  );
}
