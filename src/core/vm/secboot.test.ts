// Secure Boot enforced for real, on VMs made from the win11 preset by an ordinary user's engine
// (QEMU and swtpm are the user's processes), under TCG. The disk is a bare FAT image (OVMF boots
// a "superfloppy" ESP through its removable-media path \EFI\BOOT\BOOTX64.EFI):
// - signed: Debian's Microsoft-signed shim as BOOTX64.EFI, Debian's signed GRUB beside it, a
//   grub.cfg where that GRUB looks (\EFI\debian\grub.cfg: its built-in prefix) and the test
//   guest's Debian-signed kernel. The firmware checks shim against Microsoft's CA in db, shim
//   checks GRUB and GRUB (through shim) the kernel against Debian's CA; the kernel reports
//   "secureboot: Secure boot enabled" (it then panics: no root, which is fine).
// - unsigned: the same GRUB with its signature removed (sbattach --remove) as BOOTX64.EFI: the
//   firmware refuses it ("Access Denied") and its grub.cfg never runs.
// - install: the signed shim and GRUB on an installer CD (El Torito EFI image) whose grub.cfg
//   shows Windows media's "Press any key to boot from CD or DVD" and waits for Enter; the VM's
//   install boot, started with `nova vm start` as the user, gets the key from Nova (cd-prompt.ts).
// The files come from scripts/secboot-media.sh (install-host-deps.sh runs it).
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { CD_PROMPT } from '../../shared/install-cd.js';
import { ensureTestGuest } from '../../test/guest.js';
import { describeHost } from '../../test/host.js';
import { startUserEngine } from '../../test/user-engine.js';
import type { UserEngine } from '../../test/user-engine.js';
import { createTestUser } from '../../test/users.js';
import type { HomeUser } from '../../test/users.js';
import { waitFor } from '../../test/wait.js';
import { resolvePaths } from '../sys/paths.js';
import { layoutOf } from './store.js';

const MEDIA = process.env.NOVA_TEST_SECBOOT_DIR || '/var/cache/nova-test/secboot';
const SHIM = join(MEDIA, 'shimx64.efi.signed');
const GRUB = join(MEDIA, 'grubx64.efi.signed');
const MARKER = 'nova-secboot: grub read its config';
const CD_KEY_MARKER = 'nova-cd-prompt: key received';
const BOOT_TIMEOUT = 240_000; // TCG on a busy 2-core machine; a boot takes ~15-25 s here

describeHost(
  'win11 preset enforces Secure Boot (Debian shim → GRUB → kernel; unsigned refused), TCG, as an ordinary user',
  { root: true, tools: ['qemu-system-x86_64', 'qemu-img', 'swtpm', 'setpriv', 'useradd', 'mkfs.vfat', 'mcopy', 'mmd', 'sbattach'], files: [SHIM, GRUB] },
  () => {
    let user: HomeUser;
    let home: string;
    let engine: UserEngine;
    const call = <T = VmInfo>(m: string, input: unknown) => engine.invoke<T>(m, input);
    const serial = (name: string) => {
      try {
        return readFileSync(layoutOf(resolvePaths({ NOVA_HOME: home }), name).serialLog, 'latin1');
      } catch {
        return '';
      }
    };

    /** A FAT image (no partition table: OVMF takes it as removable media) holding `files` (ESP path → host file). */
    const esp = (name: string, files: Record<string, string>) => {
      const img = join(home, name);
      const env = { ...process.env, MTOOLS_SKIP_CHECK: '1' };
      execFileSync('mkfs.vfat', ['-C', '-n', 'NOVAESP', img, String(64 * 1024)], { stdio: 'ignore' });
      execFileSync('mmd', ['-i', img, '::/EFI', '::/EFI/BOOT', '::/EFI/debian'], { env });
      for (const [to, from] of Object.entries(files)) execFileSync('mcopy', ['-i', img, from, `::${to}`], { env });
      chownSync(img, user.uid, user.gid);
      return img;
    };

    /** An installer CD: its El Torito EFI image boots shim → GRUB, whose grub.cfg (on the CD, where GRUB finds it) asks for a key as Windows media do. */
    const installCd = () => {
      const cfg = join(home, 'cd-grub.cfg');
      writeFileSync(cfg, `set timeout=-1\necho "${CD_PROMPT}....."\nmenuentry "nova-cd-prompt: answered" {\n  echo "${CD_KEY_MARKER}"\n  sleep 600\n}\n`);
      const tree = join(home, 'cdtree');
      for (const dir of ['boot/grub', 'EFI/debian', '.disk']) mkdirSync(join(tree, dir), { recursive: true });
      for (const dir of ['boot/grub', 'EFI/debian']) copyFileSync(cfg, join(tree, dir, 'grub.cfg'));
      writeFileSync(join(tree, '.disk', 'info'), 'Nova test installer CD\n');
      esp('cdtree/efiboot.img', { '/EFI/BOOT/BOOTX64.EFI': SHIM, '/EFI/BOOT/grubx64.efi': GRUB });
      const iso = join(home, 'installer.iso');
      execFileSync('xorriso', ['-as', 'mkisofs', '-quiet', '-V', 'NOVACD', '-o', iso, '-e', 'efiboot.img', '-no-emul-boot', '-R', '-J', tree], { stdio: 'pipe' });
      chownSync(iso, user.uid, user.gid);
      return iso;
    };

    beforeAll(async () => {
      const guest = await ensureTestGuest(); // Debian's cloud kernel: signed by Debian's Secure Boot CA
      user = createTestUser('nsb');
      home = mkdtempSync('/tmp/nova-sb-');
      const cfg = join(home, 'grub.cfg');
      // GRUB's `echo` goes to the firmware console, which OVMF also writes to the serial port.
      writeFileSync(cfg, `echo "${MARKER}"\nlinux /vmlinuz console=ttyS0\nboot\n`);
      const unsigned = join(home, 'grubx64-unsigned.efi');
      copyFileSync(GRUB, unsigned);
      execFileSync('sbattach', ['--remove', unsigned]);
      const signedImg = esp('esp-signed.img', { '/EFI/BOOT/BOOTX64.EFI': SHIM, '/EFI/BOOT/grubx64.efi': GRUB, '/EFI/debian/grub.cfg': cfg, '/vmlinuz': guest.kernel });
      const unsignedImg = esp('esp-unsigned.img', { '/EFI/BOOT/BOOTX64.EFI': unsigned, '/EFI/debian/grub.cfg': cfg });
      const cd = installCd();
      chownSync(home, user.uid, user.gid);
      engine = await startUserEngine(user, { NOVA_HOME: home });
      // Two VMs from the same wizard output, only their disk differs.
      const w = await call<{ spec: Record<string, unknown> }>('vm.wizard', { name: 'sb', preset: 'win11', memory: '512Mi', cpu: 1 });
      for (const [name, img] of [['sb-signed', signedImg], ['sb-unsigned', unsignedImg]] as const) {
        await call('vm.create', { name, spec: { ...w.spec, network: 'none', disks: [{ path: img, format: 'raw' }] } });
      }
      await call('vm.create', { name: 'sb-install', spec: { ...w.spec, network: 'none', disks: [{ path: join(home, 'sb-install.qcow2'), size: '64Mi' }], iso: cd, install: true } });
    }, 300_000);

    afterAll(async () => {
      if (engine) {
        for (const name of ['sb-signed', 'sb-unsigned', 'sb-install']) await call('vm.destroy', { name }).catch(() => undefined);
        await engine.close();
      }
      user?.remove();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it('boots Debian\'s signed chain: firmware → shim → GRUB (its grub.cfg runs) → kernel, which reports Secure Boot enabled', async () => {
      const v = await call('vm.start', { name: 'sb-signed' });
      expect(v).toMatchObject({ state: 'running', uefi: true, secureBoot: true, tpm: true });
      // Until the kernel says either way, or the firmware/shim/GRUB refuses something, or it panics before.
      const log = await waitFor('the kernel\'s Secure Boot line on the serial console', () => {
        const s = serial('sb-signed');
        return /secureboot: Secure boot (enabled|disabled)|Access Denied|Security Violation|Verification failed|Kernel panic/.test(s) && s;
      }, BOOT_TIMEOUT, 250);
      expect(log).not.toMatch(/Access Denied|Security Violation|Verification failed/);
      expect(log).toContain('secureboot: Secure boot enabled');
      // Each step in order: the firmware started the disk's loader, GRUB ran its config, the kernel's EFI stub and the kernel saw Secure Boot on.
      const order = ['BdsDxe: starting Boot', MARKER, 'EFI stub: UEFI Secure Boot is enabled', 'Kernel is locked down from EFI Secure Boot', 'secureboot: Secure boot enabled'];
      const at = order.map((s) => log.indexOf(s));
      expect(at.every((x) => x >= 0), `all of ${JSON.stringify(order)} on the serial console`).toBe(true);
      expect(at).toEqual([...at].sort((a, b) => a - b));
      // The VM is the user's: QEMU runs as the user, not root.
      expect(execFileSync('stat', ['-c', '%u', `/proc/${v.pid}`], { encoding: 'utf8' }).trim()).toBe(String(user.uid));
      await call('vm.stop', { name: 'sb-signed', force: true });
    }, BOOT_TIMEOUT + 30_000);

    it('refuses the same GRUB without its signature: the firmware denies BOOTX64.EFI and its grub.cfg never runs', async () => {
      await call('vm.start', { name: 'sb-unsigned' });
      // The firmware's verdict on the disk's boot option, or the marker if it let the loader run.
      const log = await waitFor('the firmware\'s verdict on the unsigned loader', () => {
        const s = serial('sb-unsigned');
        return (/failed to (load|start) Boot\d+ .*: (Access Denied|Security Violation)/.test(s) || s.includes(MARKER)) && s;
      }, BOOT_TIMEOUT, 250);
      expect(log).not.toContain(MARKER);
      expect(log).toMatch(/failed to load Boot\d+ "[^"]*" from PciRoot[^:]*: Access Denied/);
      // The user is told why the VM sits in its firmware, not left with a blank display.
      const stuck = await waitFor('inspect saying why nothing booted', async () => {
        const v = await call('vm.inspect', { name: 'sb-unsigned' });
        return v.reason?.includes('firmware booted nothing') && v;
      }, BOOT_TIMEOUT, 250);
      expect(stuck.state).toBe('running');
      expect(stuck.reason).toMatch(/Boot\d+ "UEFI Non-Block Boot Device": Access Denied\).*Secure Boot refused a boot loader that is not signed/);
      await call('vm.stop', { name: 'sb-unsigned', force: true });
    }, BOOT_TIMEOUT + 30_000);

    it('a Windows-style installer CD\'s "Press any key" gets its key: `nova vm start` as the user waits for the prompt and presses Enter', async () => {
      const cli = join(import.meta.dirname, '..', '..', '..', 'bin', 'nova.mjs');
      const env = { PATH: process.env.PATH, HOME: user.home, NOVA_HOME: home, NOVA_FROM_SOURCE: '1' };
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(user.as[0]!, [...user.as.slice(1), process.execPath, cli, 'vm', 'start', 'sb-install'], { env, timeout: BOOT_TIMEOUT }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }));
      });
      expect(out.stdout).toMatch(/^sb-install: running/);
      expect(out.stderr).toContain(`sb-install: waiting to press Enter at the installer CD's "${CD_PROMPT}"`);
      expect(out.stderr).toContain('sb-install: pressed Enter at the installer CD\'s prompt');
      expect(out.code).toBe(0);
      // GRUB took the key: the menu entry that only Enter starts ran.
      await waitFor('the key reaching the CD\'s loader', () => serial('sb-install').includes(CD_KEY_MARKER) || undefined, 60_000, 250);
      await call('vm.stop', { name: 'sb-install', force: true });
    }, BOOT_TIMEOUT + 60_000);
  },
);
