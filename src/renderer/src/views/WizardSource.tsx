import { useEffect, useState } from 'react';
import { WizardField } from '../components/WizardField';
import type { OsImageRow } from '../../../shared/contract/osimage.js';
import { bytes } from '../lib/format';
import { call, errorText, on } from '../lib/rpc';
import type { Source, WizardState } from '../lib/wizard';
import { SOURCES } from '../lib/wizard';
import { IsoStep } from './WizardIso';
import { CloudInitFields } from './WizardCloudInit';
import { wizardProblems } from '../lib/wizard';

// The wizard's boot source: an installer ISO onto the new disk (plus virtio-win for Windows), a
// catalog cloud image downloaded with its progress (the new disk's backing file), an existing
// disk, or a kernel.

interface StepProps {
  s: WizardState;
  up(patch: Partial<WizardState>): void;
  error?: string | undefined;
}

const LABEL: Record<Source, string> = {
  iso: 'Install from an ISO',
  catalog: 'Download an OS image',
  disk: 'Existing disk image',
  kernel: 'Kernel (direct boot)',
};

export function SourceStep({ s, up, error }: StepProps) {
  return (
    <>
      <div role="radiogroup" aria-label="Boot source" className="source-pick">
        {SOURCES.map((src) => (
          <label key={src} className="check">
            <input type="radio" name="wizard-source" checked={s.source === src} onChange={() => up({ source: src })} data-testid={`wizard-source-${src}`} /> {LABEL[src]}
          </label>
        ))}
      </div>
      {s.source === 'iso' && (
        <IsoStep s={s} up={up} />
      )}
      {s.source === 'catalog' && (
        <>
          <CatalogPicker s={s} up={up} />
          <CloudInitFields s={s} up={up} errors={wizardProblems(s)} />
        </>
      )}
      {s.source === 'disk' && (
        <WizardField label="Disk image">
          <input value={s.existingDisk} placeholder="/var/lib/images/web.qcow2" onChange={(e) => up({ existingDisk: e.target.value })} data-testid="wizard-existing-disk" />
        </WizardField>
      )}
      {s.source === 'kernel' && (
        <>
          <WizardField label="Kernel"><input value={s.kernel} placeholder="/boot/vmlinuz" onChange={(e) => up({ kernel: e.target.value })} data-testid="wizard-kernel" /></WizardField>
          <WizardField label="initrd (optional)"><input value={s.initrd} onChange={(e) => up({ initrd: e.target.value })} /></WizardField>
          <WizardField label="Kernel command line (optional)"><input value={s.cmdline} placeholder="console=ttyS0" onChange={(e) => up({ cmdline: e.target.value })} /></WizardField>
        </>
      )}
      {error && <p className="field-error">{error}</p>}
    </>
  );
}

function CatalogPicker({ s, up }: StepProps) {
  const [items, setItems] = useState<OsImageRow[]>();
  const [progress, setProgress] = useState<{ fraction: number | null; message: string }>();
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    call('image.vm.list', {}).then((r) => setItems(r.items.filter((i) => i.kind === 'cloud')), (e) => setFailure(errorText(e)));
  }, []);
  useEffect(
    () =>
      on('task.progress', (t) => {
        if (t.title === `pull OS image ${s.osImage}` && t.state === 'running') setProgress({ fraction: t.progress, message: t.message ?? '' });
      }),
    [s.osImage],
  );
  const picked = items?.find((i) => i.name === s.osImage);
  const pull = async () => {
    setBusy(true);
    setFailure(undefined);
    try {
      const r = await call('image.vm.pull', { name: s.osImage });
      up({ osImagePath: r.path });
      setProgress({ fraction: 1, message: `${r.cached ? 'already stored' : 'downloaded'}: ${bytes(r.sizeBytes)}; signature ${r.signature.checked ? 'checked' : `not checked (${r.signature.note})`}` });
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <WizardField label="OS image">
        <select value={s.osImage} onChange={(e) => { const row = items?.find((i) => i.name === e.target.value); up({ osImage: e.target.value, osImagePath: row?.path ?? '' }); setProgress(undefined); }} data-testid="wizard-os-image">
          <option value="">{items ? 'Pick an image' : 'Reading the catalog…'}</option>
          {items?.map((i) => (
            <option key={i.name} value={i.name}>
              {i.title}{i.path ? ` — stored (${bytes(i.sizeBytes)})` : i.partialBytes ? ` — ${bytes(i.partialBytes)} downloaded, resumes` : ''}
            </option>
          ))}
        </select>
      </WizardField>
      {picked && !s.osImagePath && (
        <button type="button" className="primary" disabled={busy} onClick={() => void pull()} data-testid="wizard-os-pull">{busy ? 'Downloading…' : picked.partialBytes ? 'Resume download' : 'Download'}</button>
      )}
      {progress && (
        <div data-testid="wizard-os-progress">
          <progress max={1} value={progress.fraction ?? undefined} />
          <span className="hint"> {progress.message}</span>
        </div>
      )}
      {s.osImagePath && <p className="hint">The new disk (Disk step) is a qcow2 overlay on <code>{s.osImagePath}</code>; the image stays shared.</p>}
      {failure && <p className="field-error">{failure}</p>}
    </>
  );
}
