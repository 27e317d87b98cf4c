import { useEffect } from 'react';
import { WizardField } from '../components/WizardField';
import { bytes } from '../lib/format';
import type { WizardState } from '../lib/wizard';
import { diskPath } from '../lib/wizard';
import { useStorage } from '../stores/storage';

// The wizard's disk step: which pool the new disk goes into (with its free space). The ISO step
// is WizardIso.tsx.

interface StepProps {
  s: WizardState;
  up(patch: Partial<WizardState>): void;
}

export function DiskStep({ s, up, error }: StepProps & { error?: string | undefined }) {
  const { pools, status } = useStorage();
  useEffect(() => {
    if (useStorage.getState().status === 'idle') void useStorage.getState().fetch();
  }, []);
  // The default pool until the user picks another: the disk never lands in a working directory.
  useEffect(() => {
    if (!s.diskDir && pools[0]) up({ diskDir: pools[0].path });
  }, [pools, s.diskDir, up]);
  const pool = pools.find((p) => p.path === s.diskDir);
  const need = s.diskGiB * 1024 ** 3;
  const tight = pool?.freeBytes !== undefined && need > pool.freeBytes;
  return (
    <>
      <WizardField label="Disk size (GiB)" error={error}>
        <input type="number" min={1} value={s.diskGiB} onChange={(e) => up({ diskGiB: Number(e.target.value) })} />
      </WizardField>
      <WizardField label="Storage pool">
        <select value={s.diskDir} onChange={(e) => up({ diskDir: e.target.value })} data-testid="wizard-pool" disabled={pools.length === 0}>
          {pools.length === 0 && <option value="">{status === 'error' ? 'storage unavailable: the default pool is used' : 'Reading pools…'}</option>}
          {pools.map((p) => (
            <option key={p.name} value={p.path}>
              {p.name} — {p.exists ? `${bytes(p.freeBytes)} free` : 'folder missing'}
            </option>
          ))}
        </select>
      </WizardField>
      <p className="hint" data-testid="wizard-disk-path">
        New disk: <code>{diskPath(s)}</code> (qcow2, grows as the guest writes; up to {s.diskGiB} GiB).
      </p>
      {tight && <p className="field-error">The pool has {bytes(pool?.freeBytes)} free: a full disk would not fit. Pick another pool or a smaller size.</p>}
    </>
  );
}
