// Checks that every file a VM boots from exists before anything runs, naming the spec field.
import { access, constants, readFile } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import { absolutize } from './store.js';
import type { VmRecord } from './store.js';

async function must(field: string, path: string, fix: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new NovaError('INVALID_INPUT', `${field}: ${path} does not exist — ${fix}`, { field, path });
  }
}

export async function checkFiles(rec: VmRecord, opts: { skipSizedDisks?: boolean } = {}): Promise<void> {
  const base = rec.baseDir;
  const s = rec.spec;
  if (s.image) await must('image', absolutize(base, s.image), 'point image at an existing disk image (or import one with `nova vm disk import`)');
  for (const [i, d] of s.disks.entries()) {
    const entry = typeof d === 'string' ? { path: d } : d;
    if ('backing' in entry && entry.backing) await must(`disks.${i}.backing`, absolutize(base, entry.backing), 'pull the base image first (`nova image vm pull NAME`) or fix the path');
    if (opts.skipSizedDisks && (('size' in entry && entry.size !== undefined) || ('backing' in entry && entry.backing))) continue;
    await must(`disks.${i}`, absolutize(base, entry.path), 'create it (add size = "20Gi" to the disk entry, or `nova vm disk create`)');
  }
  // An installed VM (install = true, first boot done) no longer needs its installer ISOs.
  const isos = s.iso === undefined || (s.install && rec.firstBootAt) ? [] : Array.isArray(s.iso) ? s.iso : [s.iso];
  for (const [i, iso] of isos.entries()) await must(Array.isArray(s.iso) ? `iso.${i}` : 'iso', absolutize(base, iso), 'download the ISO or fix the path');
  if (s.kernel) await must('kernel', absolutize(base, s.kernel), 'point kernel at a bzImage/vmlinuz file');
  if (s.initrd) await must('initrd', absolutize(base, s.initrd), 'point initrd at an initramfs file');
}

/** hugepages = true preallocates the guest RAM from /dev/hugepages: check enough are reserved. */
export async function checkHugepages(memoryBytes: number, meminfoPath = '/proc/meminfo'): Promise<void> {
  const text = await readFile(meminfoPath, 'utf8').catch(() => '');
  const free = Number(/^HugePages_Free:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  const sizeKb = Number(/^Hugepagesize:\s+(\d+) kB/m.exec(text)?.[1] ?? 2048);
  const need = Math.ceil(memoryBytes / (sizeKb * 1024));
  if (free < need) {
    throw new NovaError('INVALID_INPUT', `hugepages: the VM needs ${need} free ${sizeKb / 1024} MiB hugepages but ${free} are free — reserve them (echo ${need} > /proc/sys/vm/nr_hugepages) or set hugepages = false`, { field: 'hugepages', need, free });
  }
}
