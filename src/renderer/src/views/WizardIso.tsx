import { useEffect, useMemo, useRef, useState } from 'react';
import type { DragEvent } from 'react';
import { WizardField } from '../components/WizardField';
import { bytes } from '../lib/format';
import { isoHostPath, pickIso } from '../lib/hostFile';
import { errorText } from '../lib/rpc';
import type { WizardState } from '../lib/wizard';
import { useStorage } from '../stores/storage';

// The wizard's install media: the installer ISO and, for Windows, the virtio-win drivers ISO (the
// second CD). Each is picked from the pools, dropped onto its zone, chosen with a file picker, or
// typed as a path on the host.

interface StepProps {
  s: WizardState;
  up(patch: Partial<WizardState>): void;
}

type Field = 'iso' | 'virtioWin';

/** One ISO: pools list, drop zone + file picker, path. */
function IsoField({ field, label, placeholder, s, up, testId }: StepProps & { field: Field; label: string; placeholder: string; testId: string }) {
  const files = useStorage((x) => x.files);
  const isos = useMemo(() => files.filter((f) => f.kind === 'iso'), [files]);
  const [over, setOver] = useState(false);
  const [status, setStatus] = useState<{ text: string; fraction?: number; error?: boolean }>();
  const input = useRef<HTMLInputElement>(null);
  const take = async (list: FileList | null) => {
    const file = pickIso(list);
    if (typeof file === 'string') return setStatus({ text: file, error: true });
    setStatus({ text: `${file.name}: reading…` });
    try {
      const r = await isoHostPath(file, useStorage.getState().files, (fraction) => setStatus({ text: `${file.name}: uploading to the host…`, fraction }));
      up({ [field]: r.path });
      setStatus({ text: r.how === 'uploaded' ? `${file.name} (${bytes(file.size)}) uploaded to the default pool` : r.how === 'stored' ? `${file.name} is already in a pool: using it` : `${file.name} (${bytes(file.size)})` });
      if (r.how === 'uploaded') void useStorage.getState().fetch();
    } catch (e) {
      setStatus({ text: errorText(e), error: true });
    }
  };
  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void take(e.dataTransfer.files);
  };
  return (
    <div className="iso-field">
      <WizardField label={label}>
        <select value={isos.some((f) => f.path === s[field]) ? s[field] : ''} onChange={(e) => up({ [field]: e.target.value })} data-testid={`${testId}-pick`}>
          <option value="">{isos.length ? 'None, or drop / choose a file below' : 'No ISOs in the pools: drop or choose a file below'}</option>
          {isos.map((f) => (
            <option key={f.path} value={f.path}>
              {f.name} ({bytes(f.virtualBytes)}, {f.pool})
            </option>
          ))}
        </select>
      </WizardField>
      <div
        className={`drop-zone ${over ? 'over' : ''}`}
        data-testid={`${testId}-drop`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        Drop an .iso file here, or{' '}
        <button type="button" onClick={() => input.current?.click()}>
          choose a file…
        </button>
        <input ref={input} type="file" accept=".iso,application/x-iso9660-image" hidden onChange={(e) => void take(e.target.files)} data-testid={`${testId}-file`} />
        {status && (
          <p className={status.error ? 'field-error' : 'hint'} data-testid={`${testId}-status`}>
            {status.text}
            {status.fraction !== undefined && <progress max={1} value={status.fraction} />}
          </p>
        )}
      </div>
      <WizardField label="…or a path on the host">
        <input value={s[field]} placeholder={placeholder} onChange={(e) => up({ [field]: e.target.value })} data-testid={testId} />
      </WizardField>
    </div>
  );
}

export function IsoStep({ s, up }: StepProps) {
  useEffect(() => {
    if (useStorage.getState().status === 'idle') void useStorage.getState().fetch();
  }, []);
  const windows = s.preset !== 'blank';
  return (
    <>
      <IsoField field="iso" label="Installer ISO" placeholder="/srv/iso/Win11_24H2.iso" s={s} up={up} testId="wizard-iso" />
      {windows ? (
        <>
          <IsoField field="virtioWin" label="virtio-win drivers ISO (second CD)" placeholder="/srv/iso/virtio-win.iso" s={s} up={up} testId="wizard-virtio-win" />
          <p className={s.virtioWin ? 'hint' : 'field-error'} data-testid="wizard-virtio-win-hint">
            {s.virtioWin
              ? 'Windows Setup sees no disk until it loads a driver: "Load driver" → the virtio-win CD → viostor\\w11\\amd64.'
              : 'Windows Setup cannot see the virtio disk without the viostor driver: add the virtio-win ISO (https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/stable-virtio/virtio-win.iso).'}
          </p>
        </>
      ) : (
        <details>
          <summary>Windows guest? Add the virtio-win drivers ISO</summary>
          <IsoField field="virtioWin" label="virtio-win drivers ISO (second CD)" placeholder="/srv/iso/virtio-win.iso" s={s} up={up} testId="wizard-virtio-win" />
        </details>
      )}
      <p className="hint">The first start boots the ISO before the new disk; later starts boot the disk alone.</p>
    </>
  );
}
