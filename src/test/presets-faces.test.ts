// One preset, two faces: the app's VM wizard and `nova wizard vm` (the engine's vm.wizard) write
// the same [vm.NAME] entry for the same choices, before any Review-step round trip.
import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { initialWizard, wizardRender } from '../renderer/src/lib/wizard.js';
import type { WizardState } from '../renderer/src/lib/wizard.js';
import { PRESET_DEFAULTS } from '../shared/presets.js';
import type { PresetName } from '../shared/presets.js';
import type { Input } from '../shared/contract.js';
import { tempHome } from './host.js';
import type { TempHome } from './host.js';

let home: TempHome;
beforeAll(async () => (home = await tempHome()));
afterAll(async () => home.cleanup());

// The same choices, as the wizard's state and as `nova wizard vm` flags (→ vm.wizard input).
const CASES: { label: string; ui: Partial<WizardState>; cli: Partial<Input<'vm.wizard'>> }[] = [
  { label: 'defaults', ui: {}, cli: {} },
  { label: 'sized, with an ISO and a network', ui: { cpu: 6, memoryGiB: 12, diskGiB: 80, iso: '/iso/win11.iso', network: 'lab' }, cli: { cpu: 6, memory: '12Gi', diskSize: '80Gi', iso: '/iso/win11.iso', network: 'lab' } },
  { label: 'a GPU picked', ui: { gpu: '0000:01:00.0', balloon: false }, cli: { gpu: '0000:01:00.0' } },
  { label: 'half a GiB of memory', ui: { memoryGiB: 4.5 }, cli: { memory: '4608Mi' } },
];

describe.each(Object.keys(PRESET_DEFAULTS) as PresetName[])('preset %s: the app wizard writes what `nova wizard vm` writes', (preset) => {
  it.each(CASES)('$label', async ({ ui, cli }) => {
    const state: WizardState = { ...initialWizard(preset), name: 'lab', ...ui };
    const app = wizardRender(state);
    const engine = await home.engine().call('vm.wizard', { name: 'lab', preset, ...cli });
    expect(app.spec).toEqual(engine.spec);
    expect(app.toml).toBe(engine.toml);
    expect(app.guidance).toEqual(engine.guidance);
  });
});

describe('gpu-labs in the app before the Review step', () => {
  it('is Windows with passthrough, hugepages, Secure Boot and TPM, and no balloon, as on the CLI', async () => {
    const engine = await home.engine().call('vm.wizard', { name: 'gpu-labs', preset: 'gpu-labs' });
    expect(engine.spec).toMatchObject({ os: 'windows', gpu_passthrough: true, hugepages: true, secure_boot: true, tpm: true, balloon: false });
    expect(wizardRender(initialWizard('gpu-labs')).spec).toEqual(engine.spec);
  });
});
