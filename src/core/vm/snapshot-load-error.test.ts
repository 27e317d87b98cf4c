import { describe, expect, it } from 'vitest';
import { NovaError } from '../../shared/errors.js';
import { vmSpec } from '../../shared/schemas/novafile.js';
import { snapshotLoadError } from './snapshots.js';

// What QEMU's snapshot-load job reports when a RAM snapshot's device state does not fit the VM
// (display.test produces it for real: a snapshot taken with VGA, restored into virtio-vga).
const qemu = new NovaError('INTERNAL', 'snapshot-load: Error -22 while loading VM state', { job: 'nova-load-1' });

describe('snapshot restore: a display device that changed since the snapshot', () => {
  it('a Linux VM (virtio-vga now): the error names display = "vga" for that VM', () => {
    const e = snapshotLoadError(qemu, { name: 'web', spec: vmSpec.parse({ memory: '1Gi', image: 'web.qcow2' }) }, 'before');
    expect(e).toBeInstanceOf(NovaError);
    expect((e as NovaError).code).toBe('CONFLICT');
    expect((e as NovaError).message).toMatch(/set display = "vga" for VM web \(\[vm\.web\] display = "vga"/);
    expect((e as NovaError).message).toMatch(/Error -22 while loading VM state/);
    expect((e as NovaError).message).toMatch(/force stop it first/);
    expect((e as NovaError).details).toEqual({ field: 'display', fix: 'vga', tag: 'before' });
  });

  it('a VM on VGA now (Windows, or display = "vga"): the fix is display = "virtio"', () => {
    const e = snapshotLoadError(qemu, { name: 'win', spec: vmSpec.parse({ memory: '4Gi', os: 'windows', image: 'win.qcow2' }) }, 't');
    expect((e as NovaError).message).toMatch(/set display = "virtio" for VM win/);
  });

  it('any other failure passes through unchanged', () => {
    const other = new NovaError('TIMEOUT', 'snapshot-load did not finish within 120000 ms');
    expect(snapshotLoadError(other, { name: 'web', spec: vmSpec.parse({ memory: '1Gi', image: 'web.qcow2' }) }, 't')).toBe(other);
  });
});
