import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { describeHost } from '../../test/host.js';
import { buildInitramfs, cloudKernel, guestArgv } from './guest/testbed.js';

// The bind sequence on a real kernel: a TCG guest with an emulated intel-iommu and a VGA device
// runs Nova's own GpuService (bundled, with Node) against its real /sys. This test found that
// store-only sysfs attributes must be opened write-only.
const CACHE = process.env.NOVA_TEST_GPU_GUEST_DIR ?? '/var/cache/nova-test/gpu-guest';
const ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'guest', 'guest-bind.ts');
let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describeHost('VFIO bind on a real kernel (TCG guest, intel-iommu)', { tools: ['qemu-system-x86_64', 'cpio', 'dpkg-deb', 'ldd'] }, () => {
  it('moves an emulated GPU and its audio function (one group) to vfio-pci and off again; the driver links read back', async () => {
    dir = await mkdtemp(join(tmpdir(), 'nova-gpu-guest-'));
    const kernel = cloudKernel(CACHE);
    const initrd = await buildInitramfs(dir, kernel, ENTRY, ['0000:00:03.0']);
    const log = join(dir, 'serial.log');
    const argv = guestArgv(kernel, initrd, log);
    await new Promise<void>((resolve, reject) => {
      const child = execFile(argv[0]!, argv.slice(1), { timeout: 240_000 }, (err) => (err ? reject(err) : resolve()));
      child.stdin?.end();
    });
    const serial = await readFile(log, 'utf8');
    const line = serial.split('\n').find((l) => l.startsWith('NOVA-GUEST-REPORT '));
    expect(line, serial.slice(-3000)).toBeDefined();
    const report = JSON.parse(line!.slice('NOVA-GUEST-REPORT '.length));
    expect(report.error).toBeUndefined();
    expect(report.iommu).toMatchObject({ enabled: true, cmdline: expect.stringContaining('intel_iommu=on') });
    // The real kernel put both functions of the slot in one IOMMU group; Nova sees the audio as a companion.
    expect(report.gpu).toEqual([
      expect.objectContaining({ address: '0000:00:03.0', driver: null, group: expect.any(Number), companions: ['0000:00:03.1'], members: ['0000:00:03.1'] }),
    ]);
    expect(report.before).toEqual({ gpu: null, audio: null });
    expect(report.bind).toMatchObject({ ok: true, results: [{ devices: [{ address: '0000:00:03.0', to: 'vfio-pci' }, { address: '0000:00:03.1', to: 'vfio-pci' }] }] });
    expect(report.afterBind).toEqual({ gpu: 'vfio-pci', audio: 'vfio-pci' });
    expect(report.unbind).toMatchObject({ ok: true, results: [{ devices: [{ address: '0000:00:03.0', from: 'vfio-pci' }, { address: '0000:00:03.1', from: 'vfio-pci' }] }] });
    expect(report.afterUnbind).toEqual({ gpu: null, audio: null });
  }, 300_000);
});
