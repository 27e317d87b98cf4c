import { useEffect, useMemo, useState } from 'react';
import { Modal } from '../components/Modal';
import { PRESET_DEFAULTS as ENGINE_PRESETS } from '../../../shared/presets.js';
import { act } from '../lib/actions';
import type { Preset, WizardState } from '../lib/wizard';
import { initialWizard, memoryGuidance, PRESETS, wizardProblems, wizardRender } from '../lib/wizard';
import { call, errorText } from '../lib/rpc';
import type { GpuCardData } from '../lib/gpu';
import { BADGE_TONE, gpuCard } from '../lib/gpu';
import { useHost } from '../stores/host';
import { useNav } from '../stores/nav';
import { byKind, useResources } from '../stores/resources';
import { WizardField } from '../components/WizardField';
import { DiskStep } from './WizardStorage';
import { SourceStep } from './WizardSource';
import { MoreNics, SharesStep } from './WizardDevices';

const STEPS = ['Preset', 'Name', 'CPU & memory', 'Disk', 'Source', 'Firmware', 'Network', 'Shared folders', 'GPU', 'Review'] as const;
const PRESET_TEXT: Record<Preset, string> = {
  blank: 'A plain Linux-friendly VM; you pick everything.',
  win11: ENGINE_PRESETS.win11.description,
  'gpu-labs': ENGINE_PRESETS['gpu-labs'].description,
};

/** New VM, step by step; ends with the NovaFile entry (validated by the engine) and/or vm.create. */
export function VmWizard({ open, onOpenChange }: { open: boolean; onOpenChange(o: boolean): void }) {
  const [step, setStep] = useState(0);
  const [s, setS] = useState<WizardState>(initialWizard());
  const [gpus, setGpus] = useState<GpuCardData[]>();
  const [validation, setValidation] = useState<string>();
  const networks = byKind(useResources((r) => r.items), 'network');
  const host = useHost((h) => h.info);
  const go = useNav((n) => n.go);
  const problems = wizardProblems(s);
  // win11 / gpu-labs: the shared preset rendering `nova wizard vm` prints, with this wizard's choices on top.
  const { spec, toml, guidance } = useMemo(() => wizardRender(s), [s]);
  const up = (patch: Partial<WizardState>) => setS((x) => ({ ...x, ...patch }));

  // A fresh wizard each time it opens (and only then: late host facts must not reset it).
  useEffect(() => {
    if (!open) return;
    setStep(0);
    setS(initialWizard());
    setStartNow(true);
    call('gpu.list', {}).then((v) => setGpus(v.gpus.map((g) => gpuCard(g, 'local'))), () => setGpus([]));
  }, [open]);

  useEffect(() => {
    if (STEPS[step] !== 'Review') return;
    setValidation('checking…');
    // The entry alone declares no [network.X]: a switch that exists on this host is not an error.
    const onHost = new Set(networks.map((n) => n.name));
    call('novafile.validate', { text: toml }).then(
      (r) => {
        const errors = r.errors.filter((e) => !onHost.has(/^network `(.+)` is not declared$/.exec(e.message)?.[1] ?? ''));
        setValidation(errors.length === 0 ? 'valid NovaFile entry' : errors.map((e) => `${e.path}: ${e.message}`).join('; '));
      },
      (e) => setValidation(errorText(e)),
    );
  }, [step, toml]);

  // An install from an ISO is watched on the screen: start it and open its console in the app.
  const [startNow, setStartNow] = useState(true);
  // The VM's page opens as soon as the VM exists (its console connects once it runs): opening it
  // only after a slow start (seconds under TCG) pulled the user away from whatever view they had
  // gone to meanwhile.
  const create = async () => {
    if (!(await act('vm.create', { name: s.name, spec }, `VM ${s.name} created`))) return;
    onOpenChange(false);
    go('vms', { kind: 'vm', name: s.name, tab: startNow ? 'console' : 'overview' });
    if (startNow) await act('vm.start', { name: s.name }, `VM ${s.name} started`);
  };

  const body = () => {
    switch (STEPS[step]) {
      case 'Preset':
        return (
          <div className="preset-grid" role="radiogroup" aria-label="Preset">
            {PRESETS.map((p) => (
              <button key={p} type="button" role="radio" aria-checked={s.preset === p} className={`preset ${s.preset === p ? 'active' : ''}`} onClick={() => setS({ ...initialWizard(p), name: s.name && s.name !== s.preset ? s.name : initialWizard(p).name })}>
                <strong>{p}</strong>
                <span>{PRESET_TEXT[p]}</span>
              </button>
            ))}
          </div>
        );
      case 'Name':
        return <WizardField label="Name" error={problems.name}><input value={s.name} onChange={(e) => up({ name: e.target.value })} autoFocus /></WizardField>;
      case 'CPU & memory':
        return (
          <>
            <WizardField label="vCPUs" error={problems.cpu}><input type="number" min={1} value={s.cpu} onChange={(e) => up({ cpu: Number(e.target.value) })} /></WizardField>
            <WizardField label="Memory (GiB)" error={problems.memoryGiB}><input type="number" min={0.25} step={0.25} value={s.memoryGiB} onChange={(e) => up({ memoryGiB: Number(e.target.value) })} /></WizardField>
            <label className="check"><input type="checkbox" checked={s.balloon} disabled={Boolean(s.gpu) || s.preset === 'gpu-labs'} onChange={(e) => up({ balloon: e.target.checked })} /> Memory balloon</label>
            <p className="hint" data-testid="memory-guidance">{memoryGuidance(s, host?.memoryBytes)}</p>
          </>
        );
      case 'Disk':
        return <DiskStep s={s} up={up} error={problems.diskGiB} />;
      case 'Source':
        return <SourceStep s={s} up={up} error={problems.source} />;
      case 'Firmware':
        return (
          <>
            <WizardField label="Firmware"><select value={s.firmware} onChange={(e) => up({ firmware: e.target.value as 'uefi' | 'bios', ...(e.target.value === 'bios' ? { secureBoot: false } : {}) })}><option value="uefi">UEFI (OVMF)</option><option value="bios">BIOS (SeaBIOS)</option></select></WizardField>
            <label className="check"><input type="checkbox" checked={s.secureBoot} disabled={s.firmware !== 'uefi'} onChange={(e) => up({ secureBoot: e.target.checked })} /> Secure Boot (Microsoft keys)</label>
            <label className="check"><input type="checkbox" checked={s.tpm} onChange={(e) => up({ tpm: e.target.checked })} /> TPM 2.0 (swtpm)</label>
            {(problems.tpm || problems.secureBoot) && <p className="field-error">{problems.tpm ?? problems.secureBoot}</p>}
          </>
        );
      case 'Shared folders':
        return <SharesStep s={s} up={up} error={problems.shares} />;
      case 'Network':
        return (
          <>
          <WizardField label="Network">
            <select value={s.network} onChange={(e) => up({ network: e.target.value })}>
              <option value="">Default (user-mode NAT, no switch)</option>
              {networks.map((n) => <option key={n.name} value={n.name}>{n.name} ({n.state})</option>)}
            </select>
            {networks.length === 0 && <span className="hint">No networks yet: create one under Networks, or leave none.</span>}
          </WizardField>
          <MoreNics s={s} up={up} error={problems.nics} networks={networks.map((n) => n.name)} />
          </>
        );
      case 'GPU':
        return (
          <div role="radiogroup" aria-label="GPU" className="gpu-pick">
            <label className="check"><input type="radio" checked={!s.gpu} onChange={() => up({ gpu: '', balloon: s.preset !== 'gpu-labs' })} /> No GPU passthrough</label>
            {gpus === undefined ? <p className="muted">Reading the GPU board…</p> : gpus.length === 0 ? <p className="hint">No GPUs found (or the GPU backend is not in this build).</p> : gpus.map((g) => (
              <label key={g.address} className="check">
                <input type="radio" checked={s.gpu === g.address} onChange={() => up({ gpu: g.address, balloon: false })} /> {g.name} <code>{g.address}</code> <span className={`badge badge-${BADGE_TONE[g.badge]}`}>{g.badge}</span>
                {g.reasons[0] && <span className="hint"> {g.reasons[0].text}</span>}
              </label>
            ))}
          </div>
        );
      default:
        return (
          <>
            <p className="hint">Add this to your NovaFile and run <code>nova up</code>, or create the VM now.</p>
            <pre className="code" data-testid="wizard-toml">{toml}</pre>
            <p className={validation === 'valid NovaFile entry' ? 'ok-text' : 'hint'} data-testid="wizard-validation">{validation}</p>
            <label className="check"><input type="checkbox" checked={startNow} onChange={(e) => setStartNow(e.target.checked)} data-testid="wizard-start-now" /> Start it after creating and open its console</label>
            {guidance.length > 0 && (
              <ul className="guidance" data-testid="wizard-guidance">
                {guidance.map((g) => <li key={g}>{g}</li>)}
              </ul>
            )}
          </>
        );
    }
  };

  const last = step === STEPS.length - 1;
  const blocked = (STEPS[step] === 'Name' && problems.name) || (STEPS[step] === 'Network' && problems.nics) || (STEPS[step] === 'Shared folders' && problems.shares) || (last && Object.keys(problems).length > 0);
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="New virtual machine" description={`Step ${step + 1} of ${STEPS.length}: ${STEPS[step]}`} wide>
      <ol className="steps" aria-label="Steps">
        {STEPS.map((t, i) => <li key={t} className={i === step ? 'active' : i < step ? 'done' : ''}>{t}</li>)}
      </ol>
      <div className="wizard-body">{body()}</div>
      <div className="modal-actions">
        <button type="button" onClick={() => (step === 0 ? onOpenChange(false) : setStep(step - 1))}>{step === 0 ? 'Cancel' : 'Back'}</button>
        {last ? (
          <>
            <button type="button" onClick={() => void navigator.clipboard?.writeText(toml)}>Copy NovaFile entry</button>
            <button type="button" className="primary" disabled={Boolean(blocked)} onClick={() => void create()}>Create VM</button>
          </>
        ) : (
          <button type="button" className="primary" disabled={Boolean(blocked)} onClick={() => setStep(step + 1)}>Next</button>
        )}
      </div>
    </Modal>
  );
}
