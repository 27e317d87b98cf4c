// The shared TCG test guest (Debian cloud kernel + busybox initramfs), built once by
// scripts/test-guest.sh into a cache outside git (NOVA_TEST_GUEST_DIR, default
// /var/cache/nova-test/guest). The guest prints "nova-guest: init ready", "nova-disk: vdX" per
// virtio disk, "nova-net: eth0 IP/MASK router=R" after DHCP and "nova-counter N" every second on
// ttyS0; the ACPI power button (QMP system_powerdown) powers it off.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestGuest {
  kernel: string;
  initrd: string;
}

/**
 * Where the guest is cached: outside every folder Nova allows by default, like kernels a user keeps
 * in a shared folder. Test homes allow it the way a user would (`allowedRoots` in prefs.json, what
 * `nova config allow-root` writes): see tempHome() in host.ts.
 */
export const TEST_GUEST_DIR = process.env.NOVA_TEST_GUEST_DIR || '/var/cache/nova-test/guest';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/test-guest.sh');
const pending = new Map<string, Promise<TestGuest>>();

/**
 * Builds (first call, ~5 s) or reuses the cached guest. Safe across parallel workers (flock).
 * `generic`: the same guest on Debian's generic kernel (TEST_GUEST_DIR/generic), which has the 9p
 * modules the cloud kernel lacks.
 */
export function ensureTestGuest(kernel: 'cloud' | 'generic' = 'cloud'): Promise<TestGuest> {
  const known = pending.get(kernel);
  if (known) return known;
  const p = new Promise<TestGuest>((done, fail) => {
    execFile('bash', [SCRIPT], { env: { ...process.env, NOVA_TEST_GUEST_KERNEL: kernel }, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) {
        pending.delete(kernel);
        fail(new Error(`test guest build failed: ${stderr.trim() || err.message}`));
        return;
      }
      const dir = stdout.trim().split('\n').pop() ?? '';
      const guest = { kernel: join(dir, 'vmlinuz'), initrd: join(dir, 'initrd.gz') };
      if (!existsSync(guest.kernel) || !existsSync(guest.initrd)) {
        pending.delete(kernel);
        fail(new Error(`test guest build produced no kernel/initrd in ${dir}`));
        return;
      }
      done(guest);
    });
  });
  pending.set(kernel, p);
  return p;
}

/** Kernel command line the guest expects (serial console, no reboot loop on panic). */
export const TEST_GUEST_CMDLINE = 'console=ttyS0 quiet panic=-1';
