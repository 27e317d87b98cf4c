// Why a UEFI VM sits in its firmware with nothing booted, read from the end of its serial
// console, where OVMF's boot manager (BdsDxe) says which boot options it tried and why each
// failed. With Secure Boot on, an unsigned loader is refused ("Access Denied"), and so is OVMF's
// own shell ("Security Violation"): the VM then just waits at "No bootable option", which looks
// like a hang on the display unless Nova says so.
import { FIRMWARE_STUCK } from '../../shared/firmware-reason.js';
import { readTail } from '../sys/file-tail.js';

const NOTHING_BOOTED = 'BdsDxe: No bootable option or device was found.';
const FAILED = /BdsDxe: failed to (?:load|start) (Boot[0-9A-F]{4}) "([^"]*)" from [^\r\n]*?: ([A-Za-z ]+)\s*$/;
const REFUSED = /^(Access Denied|Security Violation)$/;
/** OVMF's built-in shell: Secure Boot refuses it too, which is by design and no help to name. */
const BUILT_IN_SHELL = 'EFI Internal Shell';

/** The reason, or undefined when the firmware has booted something (or has not finished trying). */
export function firmwareBootFailure(consoleTail: string, secureBoot: boolean): string | undefined {
  const lines = consoleTail.split(/\r?\n|\r/);
  const end = lines.findLastIndex((l) => l.includes(NOTHING_BOOTED));
  // A boot option started after it (a key pressed, a device added): not stuck any more.
  if (end < 0 || lines.slice(end + 1).some((l) => /BdsDxe: (loading|starting) Boot/.test(l))) return undefined;
  const previous = lines.slice(0, end).findLastIndex((l) => l.includes(NOTHING_BOOTED));
  const failures = lines
    .slice(previous + 1, end)
    .map((l) => FAILED.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && m[2] !== BUILT_IN_SHELL)
    .map((m) => ({ option: m[1]!, device: m[2]!, status: m[3]!.trim() }));
  if (!failures.length) return `${FIRMWARE_STUCK}found nothing to boot: no boot disk or CD with an EFI loader`;
  const tried = failures.map((f) => `${f.option} "${f.device}": ${f.status}`).join('; ');
  return `${FIRMWARE_STUCK}booted nothing (${tried})${hint(failures, secureBoot)}`;
}

function hint(failures: { device: string; status: string }[], secureBoot: boolean): string {
  if (secureBoot && failures.some((f) => REFUSED.test(f.status))) {
    return ' — Secure Boot refused a boot loader that is not signed with an enrolled key: use signed media (Windows, or a distribution with shim) or turn Secure Boot off';
  }
  // Windows media's loader waits a few seconds for a key, then hands back to the firmware.
  if (failures.some((f) => /Time ?out/i.test(f.status) && /DVD|CD/i.test(f.device))) {
    return ' — the installer CD waits a few seconds for a key press ("Press any key to boot from CD"): restart the VM with its console open and press a key';
  }
  return '';
}

/** The last 16 KiB of the serial console log ('' when there is none). */
export const consoleTail = async (path: string, bytes = 16 * 1024): Promise<string> => (await readTail(path, bytes)).bytes.toString('latin1');
