import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Every sysfs write the VFIO actions make goes through here: the real one writes to /sys and the
 * kernel reacts; the fixture kernel (testing/fake-kernel.ts) applies the same transitions to a
 * fixture tree, so the exact write sequence and its rollback are tested without hardware.
 */
export interface SysfsWriter {
  write(path: string, value: string): Promise<void>;
}

/**
 * Writes like `echo VALUE > PATH`: write-only and without O_CREAT. Write-only matters: kernfs
 * refuses to open store-only attributes (drivers_probe, bind, unbind) for reading, even for root
 * (found by the guest test on a real kernel).
 */
export function realSysfsWriter(): SysfsWriter {
  return {
    async write(path, value) {
      const fh = await open(path, constants.O_WRONLY);
      try {
        await fh.write(value);
      } finally {
        await fh.close();
      }
    },
  };
}

let injected: ((root: string) => SysfsWriter) | undefined;

/**
 * For test entry points only (src/test/nova-gpu-fixture-entry.ts): every engine of this process writes
 * sysfs through `factory` (the fixture kernel). Production never calls it, so it writes to /sys.
 */
export function injectSysfsWriter(factory: (root: string) => SysfsWriter): void {
  injected = factory;
}

/** The writer for an engine's sysfs root: the real one unless a test entry point injected another. */
export const sysfsWriterFor = (root: string): SysfsWriter => injected?.(root) ?? realSysfsWriter();
