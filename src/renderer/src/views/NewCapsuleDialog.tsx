import { useEffect, useState } from 'react';
import { Modal } from '../components/Modal';
import { WizardField } from '../components/WizardField';
import { act } from '../lib/actions';
import type { CapsuleForm, EnvRow } from '../lib/capsuleForm';
import { capsuleSpec, emptyCapsuleForm } from '../lib/capsuleForm';
import { shortRef, useImages } from '../stores/images';
import { validName } from '../stores/prompt';
import { byKind, useResources } from '../stores/resources';

/** Env values are secrets: typed into password fields, never shown back by the engine. */
function EnvEditor({ rows, onChange }: { rows: EnvRow[]; onChange(rows: EnvRow[]): void }) {
  const set = (i: number, patch: Partial<EnvRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="env-editor">
      <legend>Environment (values are secrets)</legend>
      {rows.map((r, i) => (
        <div key={i} className="env-row">
          <input aria-label={`Variable ${i + 1} name`} value={r.key} placeholder="API_KEY" onChange={(e) => set(i, { key: e.target.value })} />
          <input aria-label={`Variable ${i + 1} value`} type="password" autoComplete="off" value={r.value} onChange={(e) => set(i, { value: e.target.value })} />
          <button type="button" className="ghost" aria-label={`Remove variable ${i + 1}`} onClick={() => onChange(rows.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" className="ghost" onClick={() => onChange([...rows, { key: '', value: '' }])}>Add variable</button>
    </fieldset>
  );
}

/** New capsule: image, command, env, volumes, ports, network, limits, restart; created by the engine. */
export function NewCapsuleDialog({ open, onOpenChange }: { open: boolean; onOpenChange(o: boolean): void }) {
  const [f, setF] = useState<CapsuleForm>(emptyCapsuleForm());
  const [busy, setBusy] = useState(false);
  const images = useImages((s) => s.items);
  const networks = byKind(useResources((r) => r.items), 'network');
  const up = (patch: Partial<CapsuleForm>) => setF((x) => ({ ...x, ...patch }));
  useEffect(() => {
    if (!open) return;
    setF(emptyCapsuleForm());
    void useImages.getState().fetch();
  }, [open]);
  const nameError = f.name ? validName(f.name) : undefined;
  const create = async () => {
    setBusy(true);
    const ok = await act('capsule.create', { name: f.name, spec: capsuleSpec(f), start: f.start }, `Capsule ${f.name} ${f.start ? 'started' : 'created'}`);
    setBusy(false);
    if (ok) onOpenChange(false);
  };
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="New capsule" description="An OCI container run by crun/runc" wide>
      <div className="form-grid">
        <WizardField label="Name" error={nameError}><input value={f.name} onChange={(e) => up({ name: e.target.value })} autoFocus /></WizardField>
        <WizardField label="Image (a local one, or a reference to pull)">
          <input list="capsule-images" value={f.image} onChange={(e) => up({ image: e.target.value })} placeholder="docker.io/library/alpine:3.20" />
          <datalist id="capsule-images">{images.map((i) => <option key={i.ref} value={i.ref}>{shortRef(i.ref)}</option>)}</datalist>
        </WizardField>
        <WizardField label="Command (optional; the image's default otherwise)"><input value={f.command} onChange={(e) => up({ command: e.target.value })} placeholder="sleep infinity" /></WizardField>
        <WizardField label="Network">
          <select value={f.network} onChange={(e) => up({ network: e.target.value })}>
            <option value="">None (no network)</option>
            {networks.map((n) => <option key={n.name} value={n.name}>{n.name} ({n.state})</option>)}
          </select>
        </WizardField>
        <WizardField label="Volumes (host:container[:ro], one per line)"><textarea rows={2} value={f.volumes} onChange={(e) => up({ volumes: e.target.value })} placeholder="/srv/api:/srv/api" /></WizardField>
        <WizardField label="Ports (host:capsule, one per line)"><textarea rows={2} value={f.ports} onChange={(e) => up({ ports: e.target.value })} placeholder="8080:80" /></WizardField>
        <WizardField label="CPU limit (cores)"><input inputMode="decimal" value={f.cpu} onChange={(e) => up({ cpu: e.target.value })} placeholder="no limit" /></WizardField>
        <WizardField label="Memory limit"><input value={f.memory} onChange={(e) => up({ memory: e.target.value })} placeholder="e.g. 512Mi" /></WizardField>
        <WizardField label="Process limit"><input inputMode="numeric" value={f.pids} onChange={(e) => up({ pids: e.target.value })} placeholder="no limit" /></WizardField>
        <WizardField label="Restart">
          <select value={f.restart} onChange={(e) => up({ restart: e.target.value as CapsuleForm['restart'] })}>
            <option value="no">Never</option>
            <option value="on-failure">When it fails</option>
            <option value="always">Always</option>
          </select>
        </WizardField>
      </div>
      <EnvEditor rows={f.env} onChange={(env) => up({ env })} />
      <label className="check"><input type="checkbox" checked={f.start} onChange={(e) => up({ start: e.target.checked })} /> Start it now</label>
      <div className="modal-actions">
        <button type="button" onClick={() => onOpenChange(false)}>Cancel</button>
        <button type="button" className="primary" disabled={busy || !f.name || Boolean(nameError) || !f.image.trim()} onClick={() => void create()}>{busy ? 'Creating…' : 'Create capsule'}</button>
      </div>
    </Modal>
  );
}
