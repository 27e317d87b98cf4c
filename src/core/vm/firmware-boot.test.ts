import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleTail, firmwareBootFailure } from './firmware-boot.js';

// What OVMF (Debian's 2022.11, OVMF_CODE_4M.secboot.fd with the MS vars) printed on the serial
// console in secboot.test's unsigned case, escapes and CRs included.
const REFUSED = [
  '\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001 "UEFI Non-Block Boot Device" from PciRoot(0x0)/Pci(0x4,0x0)\r',
  'BdsDxe: failed to load Boot0001 "UEFI Non-Block Boot Device" from PciRoot(0x0)/Pci(0x4,0x0): Access Denied\r',
  'BdsDxe: loading Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1)\r',
  'BdsDxe: starting Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1)\r',
  'BdsDxe: failed to start Boot0002 "EFI Internal Shell" from Fv(7CB8BDC9-F8EB-4F34-AAEA-3EE4AF6516A1)/FvFile(7C04A583-9E3E-4F1C-AD65-E05268D0B4D1): Security Violation\r',
  'BdsDxe: No bootable option or device was found.\r',
  'BdsDxe: Press any key to enter the Boot Manager Menu.\r',
].join('\n');

describe('firmwareBootFailure', () => {
  it('names the refused boot option and, with Secure Boot, that the loader is not signed (not the built-in shell)', () => {
    const why = firmwareBootFailure(REFUSED, true);
    expect(why).toContain('Boot0001 "UEFI Non-Block Boot Device": Access Denied');
    expect(why).toContain('Secure Boot refused a boot loader that is not signed');
    expect(why).not.toContain('EFI Internal Shell');
    expect(firmwareBootFailure(REFUSED, false)).not.toContain('Secure Boot');
  });

  it('says nothing while the firmware is still trying, once something booted, or after a later start', () => {
    const booted = 'BdsDxe: loading Boot0001 "UEFI Non-Block Boot Device" from PciRoot(0x0)/Pci(0x4,0x0)\r\nBdsDxe: starting Boot0001 "UEFI Non-Block Boot Device" from PciRoot(0x0)/Pci(0x4,0x0)\r\nLinux version 6.1\n';
    expect(firmwareBootFailure(booted, true)).toBeUndefined();
    expect(firmwareBootFailure(REFUSED.split('\n').slice(0, 2).join('\n'), true)).toBeUndefined();
    expect(firmwareBootFailure(`${REFUSED}\n${booted}`, true)).toBeUndefined();
    expect(firmwareBootFailure('', true)).toBeUndefined();
  });

  it('with no option at all: no boot disk or CD; only the last round of tries counts', () => {
    expect(firmwareBootFailure('BdsDxe: No bootable option or device was found.\r\n', true)).toMatch(/nothing to boot: no boot disk or CD/);
    const twice = `${REFUSED}\nBdsDxe: failed to load Boot0003 "UEFI QEMU DVD-ROM" from PciRoot(0x0): Not Found\r\nBdsDxe: No bootable option or device was found.\r\n`;
    const why = firmwareBootFailure(twice, true)!;
    expect(why).toContain('Boot0003 "UEFI QEMU DVD-ROM": Not Found');
    expect(why).not.toContain('Boot0001');
    expect(why).not.toContain('Secure Boot');
  });

  it('a CD whose loader timed out (Windows media waiting for a key): says to press a key', () => {
    const cd = 'BdsDxe: loading Boot0001 "UEFI QEMU DVD-ROM QM00005 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)\r\nBdsDxe: starting Boot0001 "UEFI QEMU DVD-ROM QM00005 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0)\r\nBdsDxe: failed to start Boot0001 "UEFI QEMU DVD-ROM QM00005 " from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x2,0xFFFF,0x0): Time out\r\nBdsDxe: No bootable option or device was found.\r\n';
    expect(firmwareBootFailure(cd, true)).toMatch(/DVD-ROM QM00005 ": Time out\) — the installer CD waits .*press a key/);
  });
});

describe('consoleTail', () => {
  it('reads the end of a big log, and nothing for a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nova-fw-'));
    try {
      writeFileSync(join(dir, 'serial.log'), `${'x'.repeat(100_000)}\n${REFUSED}`);
      const tail = await consoleTail(join(dir, 'serial.log'));
      expect(tail.length).toBe(16 * 1024);
      expect(firmwareBootFailure(tail, true)).toContain('Access Denied');
      expect(await consoleTail(join(dir, 'none.log'))).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
