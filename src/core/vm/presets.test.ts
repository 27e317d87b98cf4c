import { describe, expect, it } from 'vitest';
import { validateNovafileText } from '../novafile/validate.js';
import { vmFeatures } from './config/features.js';
import { vmSpec } from '../../shared/schemas/novafile.js';
import { renderPreset } from '../../shared/presets.js';
import { checkHugepages } from './files.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('VM presets', () => {
  it('win11 renders a valid NovaFile entry: UEFI Secure Boot, TPM, balloon, 64 GiB virtio disk', () => {
    const r = renderPreset({ name: 'win', preset: 'win11', iso: '/iso/Win11.iso', virtioWin: '/iso/virtio-win.iso' });
    const { novafile, errors } = validateNovafileText(r.toml, 'NovaFile');
    expect(errors).toEqual([]);
    const spec = novafile!.vm.win!;
    expect(spec).toMatchObject({ preset: 'win11', memory: 8 * 1024 ** 3, balloon: true, iso: ['/iso/Win11.iso', '/iso/virtio-win.iso'] });
    expect(spec.disks[0]).toEqual({ path: 'win.qcow2', size: 64 * 1024 ** 3, format: 'qcow2', bus: 'virtio' });
    expect(vmFeatures(spec)).toEqual({ windows: true, uefi: true, secureBoot: true, tpm: true, gpuLab: false, display: 'vga' });
    expect(r.guidance.join('\n')).toMatch(/balloon/i);
    expect(r.guidance.join('\n')).toMatch(/viostor/);
    expect(r.guidance.join('\n')).toContain('Nova presses Enter at the installer CD\'s "Press any key to boot from CD or DVD"');
    expect(r.guidance.join('\n')).not.toMatch(/4 GiB of RAM|too little/);
  });

  it('says when memory is too little for Windows 11 setup, or to boot at all', () => {
    const text = (memory: number) => renderPreset({ name: 'w', preset: 'win11', memory }).guidance.join('\n');
    expect(text(2 * 1024 ** 3)).toContain('Windows 11 setup refuses less than 4 GiB of RAM (this VM has 2.0 GiB)');
    expect(text(256 * 1024 ** 2)).toMatch(/256 MiB is too little even to boot: .*512 MiB or more/);
    expect(text(4 * 1024 ** 3)).not.toMatch(/4 GiB of RAM|too little/);
  });

  it('gpu-labs adds passthrough and hugepages with sizing guidance', () => {
    const r = renderPreset({ name: 'lab', preset: 'gpu-labs', gpu: '0000:01:00.0', memory: 16 * 1024 ** 3 });
    const spec = vmSpec.parse(r.spec);
    expect(spec).toMatchObject({ gpu_passthrough: true, gpu: '0000:01:00.0', hugepages: true, cpu: 8 });
    expect(r.guidance.join('\n')).toMatch(/8192 × 2 MiB pages|hugepages=16/);
    expect(r.guidance.join('\n')).toMatch(/iommu/i);
  });

  it('explicit bios turns Secure Boot off; a plain Linux VM has neither UEFI nor TPM', () => {
    expect(vmFeatures(vmSpec.parse({ os: 'windows', firmware: 'bios', image: 'x' }))).toMatchObject({ uefi: false, secureBoot: false });
    expect(vmFeatures(vmSpec.parse({ image: 'x' }))).toEqual({ windows: false, uefi: false, secureBoot: false, tpm: false, gpuLab: false, display: 'virtio' });
  });

  it('hugepages: refuses to start with too few free pages, naming the field and the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-hp-'));
    const f = join(dir, 'meminfo');
    try {
      writeFileSync(f, 'HugePages_Total:     512\nHugePages_Free:      512\nHugepagesize:       2048 kB\n');
      await expect(checkHugepages(1024 ** 3, f)).resolves.toBeUndefined();
      await expect(checkHugepages(2 * 1024 ** 3, f)).rejects.toThrow(/hugepages: the VM needs 1024 free 2 MiB hugepages but 512 are free.*nr_hugepages/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
