// UEFI and TPM VMs across hosts (#22). What moves, as measured with QEMU 7.2 and swtpm 0.7:
// - The TPM's state (permanent and volatile: keys, NV indexes, PCRs) travels in QEMU's migration
//   stream (the tpm-emulator backend reads it out of the source's swtpm and writes it into the
//   target's at switch-over). The target only needs its own fresh swtpm with an empty state folder,
//   started as for any start; the source's swtpm ends with its QEMU, its state folder with the VM.
// - The UEFI variable store (the VM's OVMF_VARS.fd, block node fw-vars behind pflash1) is mirrored
//   like a disk (NBD export of the target's fresh copy of the same size, blockdev-mirror full), so
//   the file on the target holds every variable the guest wrote, also while the move ran.
// - The firmware code (OVMF_CODE, read-only) is each host's own: the target must have the same
//   build, byte for byte, or the moved variables (and after a reboot, the guest) meet another one.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ovmfFiles } from '../context.js';
import type { VmFeatures } from '../config/features.js';

/** The block node of a UEFI VM's variable store (config/build.ts), mirrored and exported under this name. */
export const VARS_NODE = 'fw-vars';

/** A firmware file and its content hash. */
export interface FirmwareFile {
  path: string;
  sha256: string;
}

export async function hashFile(path: string): Promise<FirmwareFile | undefined> {
  const data = await readFile(path).catch(() => undefined);
  return data ? { path, sha256: createHash('sha256').update(data).digest('hex') } : undefined;
}

/** The OVMF code file this host runs a VM with these features on (Secure Boot: the secboot build). */
export const codePathFor = (f: Pick<VmFeatures, 'secureBoot'>) => (f.secureBoot ? ovmfFiles().secbootCode : ovmfFiles().code);

/** This host's OVMF code builds, hashed (undefined: not installed). */
export async function ovmfCodeFacts(): Promise<{ code?: FirmwareFile; secbootCode?: FirmwareFile }> {
  const o = ovmfFiles();
  const [code, secbootCode] = await Promise.all([hashFile(o.code), hashFile(o.secbootCode)]);
  return { ...(code ? { code } : {}), ...(secbootCode ? { secbootCode } : {}) };
}

export const fileBytes = async (path: string) => (await stat(path)).size;

const short = (h: string) => h.slice(0, 12);

/** Why this host cannot take a UEFI VM whose firmware is `want` (undefined: it can). */
export function firmwareMismatch(host: string, secureBoot: boolean, want: FirmwareFile, have: FirmwareFile | undefined): string | undefined {
  const kind = secureBoot ? 'Secure Boot OVMF firmware' : 'OVMF firmware';
  if (!have) return `host ${host} has no ${kind} (the VM boots with UEFI from ${want.path}): install the ovmf package there (Arch: edk2-ovmf), the same version as here`;
  if (have.sha256 !== want.sha256) {
    return `host ${host}'s ${kind} ${have.path} is another build than this host's ${want.path} (sha256 ${short(have.sha256)}… vs ${short(want.sha256)}…): the VM's UEFI variables must meet the same firmware — install the same ovmf version on both hosts`;
  }
  return undefined;
}
