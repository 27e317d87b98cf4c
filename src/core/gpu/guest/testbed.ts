import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

// Test bed for the stretch test: a Debian cloud kernel (vfio modules, intel-iommu built in), an
// initramfs with busybox, Node and Nova's bundled guest script, run under TCG with an emulated
// intel-iommu and a VGA device. Everything is cached under `cacheDir` between runs.

const VFIO_MODULES = ['virt/lib/irqbypass.ko', 'drivers/vfio/vfio.ko', 'drivers/vfio/vfio_iommu_type1.ko', 'drivers/vfio/vfio_virqfd.ko', 'drivers/vfio/pci/vfio-pci-core.ko', 'drivers/vfio/pci/vfio-pci.ko'];

export interface GuestKernel {
  vmlinuz: string;
  modules: string;
}

/** The cloud kernel package: from the apt cache if present, else `apt-get download`. */
export function cloudKernel(cacheDir: string): GuestKernel {
  const root = join(cacheDir, 'kernel');
  const find = (): GuestKernel | undefined => {
    const boot = join(root, 'boot');
    const v = existsSync(boot) ? readdirSync(boot).find((f) => f.startsWith('vmlinuz-')) : undefined;
    if (!v) return undefined;
    const release = v.slice('vmlinuz-'.length);
    return { vmlinuz: join(boot, v), modules: join(root, 'lib', 'modules', release, 'kernel') };
  };
  const cached = find();
  if (cached) return cached;
  execFileSync('mkdir', ['-p', cacheDir]);
  const archives = '/var/cache/apt/archives';
  let deb = existsSync(archives) ? readdirSync(archives).find((f) => /^linux-image-[\d.-]+-cloud-amd64_.*\.deb$/.test(f)) : undefined;
  let debPath = deb ? join(archives, deb) : undefined;
  if (!debPath) {
    // The kernel linux-image-cloud-amd64 points at (as scripts/test-guest.sh picks it).
    const depends = execFileSync('apt-cache', ['depends', 'linux-image-cloud-amd64'], { encoding: 'utf8' });
    const pkg = /linux-image-[\d.-]+-cloud-amd64/.exec(depends)?.[0];
    if (!pkg) throw new Error('apt does not know linux-image-cloud-amd64 (run apt-get update)');
    execFileSync('apt-get', ['download', pkg], { cwd: cacheDir, stdio: 'ignore' });
    deb = readdirSync(cacheDir).find((f) => f.startsWith(`${pkg}_`))!;
    debPath = join(cacheDir, deb);
  }
  execFileSync('dpkg-deb', ['-x', debPath, root]);
  return find()!;
}

function libsOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]!);
}

async function copyInto(root: string, path: string, as = path): Promise<void> {
  await mkdir(dirname(join(root, as)), { recursive: true });
  await copyFile(path, join(root, as));
}

/** Builds an uncompressed initramfs (fast to unpack under TCG) that runs the guest script on boot. */
export async function buildInitramfs(dir: string, kernel: GuestKernel, entry: string, args: string[]): Promise<string> {
  const root = join(dir, 'initramfs');
  for (const d of ['bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'nova', 'modules', 'usr/bin']) await mkdir(join(root, d), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin', 'busybox'));
  await chmod(join(root, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'mount', 'insmod', 'cat', 'echo', 'poweroff', 'readlink', 'ls', 'sleep']) await symlink('busybox', join(root, 'bin', applet));
  const node = process.execPath;
  const flock = execFileSync('sh', ['-c', 'command -v flock'], { encoding: 'utf8' }).trim();
  for (const bin of [node, flock]) {
    await copyInto(root, bin, join('usr/bin', bin.split('/').pop()!));
    for (const lib of libsOf(bin)) await copyInto(root, lib);
  }
  const mods: string[] = [];
  for (const m of VFIO_MODULES) {
    const name = m.split('/').pop()!;
    await copyFile(join(kernel.modules, m), join(root, 'modules', name));
    mods.push(name);
  }
  await build({ entryPoints: [entry], outfile: join(root, 'nova', 'guest.mjs'), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'error' });
  await writeFile(
    join(root, 'init'),
    `#!/bin/sh
export PATH=/bin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp
${mods.map((m) => `insmod /modules/${m}`).join('\n')}
echo NOVA-GUEST-READY
node /nova/guest.mjs ${args.join(' ')}
echo NOVA-GUEST-DONE
poweroff -f
`,
  );
  await chmod(join(root, 'init'), 0o755);
  const files = (await listAll(root)).map((f) => f.slice(root.length + 1));
  const out = join(dir, 'initramfs.cpio');
  execFileSync('sh', ['-c', 'cd "$1" && cpio -o -H newc --quiet > "$2"', 'sh', root, out], { input: `${files.join('\n')}\n` });
  return out;
}

async function listAll(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) await listAll(p, out);
  }
  return out;
}

/**
 * argv for the guest: TCG, an emulated intel-iommu first, then the "GPU" under test: a VGA
 * function at 00:03.0 with an HDA audio function at 00:03.1 (one multifunction slot, one IOMMU
 * group, like a graphics card and its HDMI audio).
 */
export function guestArgv(kernel: GuestKernel, initrd: string, serialLog: string): string[] {
  return [
    'qemu-system-x86_64', '-accel', 'tcg', '-machine', 'q35', '-cpu', 'max', '-m', '1024', '-smp', '1',
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-device', 'intel-iommu', '-device', 'VGA,addr=03.0,multifunction=on', '-device', 'intel-hda,addr=03.1',
    '-kernel', kernel.vmlinuz, '-initrd', initrd,
    '-append', 'console=ttyS0 intel_iommu=on quiet panic=-1',
    '-serial', `file:${serialLog}`,
  ];
}
