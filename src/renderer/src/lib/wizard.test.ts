import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { novafileSchema, vmSpec } from '../../../shared/schemas/novafile.js';
import { renderPreset } from '../../../shared/presets.js';
import { initialWizard, memoryGuidance, presetOptions, wizardProblems, wizardRender, wizardSpec, wizardToml } from './wizard';

describe('VM wizard', () => {
  it('win11 writes UEFI + Secure Boot + TPM and the NovaFile schema accepts it', () => {
    const s = { ...initialWizard('win11'), iso: '/srv/iso/win11.iso' };
    const toml = wizardToml(s);
    const parsed = novafileSchema.parse(parse(toml));
    const vm = parsed.vm.win11!;
    expect(vm).toMatchObject({ cpu: 4, memory: 8 * 1024 ** 3, preset: 'win11', os: 'windows', firmware: 'uefi', secure_boot: true, tpm: true, iso: ['/srv/iso/win11.iso'] });
    expect(vm.disks).toEqual([{ path: 'win11.qcow2', size: 64 * 1024 ** 3, format: 'qcow2', bus: 'virtio' }]);
    expect(wizardProblems(s)).toEqual({});
  });

  it('a GPU turns on passthrough and turns the balloon off in the guidance', () => {
    const s = { ...initialWizard('gpu-labs'), gpu: '0000:01:00.0' };
    expect(vmSpec.parse(wizardSpec(s))).toMatchObject({ gpu_passthrough: true, gpu: '0000:01:00.0', balloon: false });
    expect(memoryGuidance(s)).toMatch(/pins all 16 GiB/);
  });

  it('names the problem for bad input', () => {
    const s = { ...initialWizard('blank'), name: 'Bad', cpu: 0 };
    const p = wizardProblems(s);
    expect(p.name).toMatch(/lowercase/);
    expect(p.cpu).toMatch(/1 to 512/);
    expect(wizardProblems({ ...initialWizard('win11'), tpm: false }).tpm).toMatch(/TPM 2.0/);
  });

  it('sub-GiB memory is written in MiB', () => {
    expect(wizardSpec({ ...initialWizard('blank'), name: 'x', memoryGiB: 0.5 }).memory).toBe('512Mi');
  });

  it('presets are the shared rendering (what `nova wizard vm` prints) with the firmware and balloon choices on top', () => {
    const s = { ...initialWizard('gpu-labs'), name: 'lab', gpu: '0000:01:00.0' };
    expect(presetOptions(s)).toMatchObject({ name: 'lab', preset: 'gpu-labs', cpu: 8, memory: 16 * 1024 ** 3, diskSize: 100 * 1024 ** 3, gpu: '0000:01:00.0' });
    const merged = wizardSpec({ ...s, firmware: 'bios', secureBoot: false });
    expect(merged).toMatchObject({ preset: 'gpu-labs', os: 'windows', balloon: false, firmware: 'bios', hugepages: true, gpu_passthrough: true });
    expect(merged).not.toHaveProperty('secure_boot');
    expect(wizardRender(s).guidance).toEqual(renderPreset(presetOptions(s)!).guidance);
  });

  it('gpu-labs has the CLI preset values from the first step on, before any GPU is picked', () => {
    const spec = wizardSpec({ ...initialWizard('gpu-labs'), name: 'lab' });
    expect(spec).toMatchObject({ os: 'windows', gpu_passthrough: true, hugepages: true, secure_boot: true, tpm: true, balloon: false, cpu: 8, memory: '16Gi' });
  });
});
