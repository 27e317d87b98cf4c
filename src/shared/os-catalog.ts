import { z } from 'zod';
import { lazy } from './lazy.js';

// The OS image catalog: cloud images Nova can download (`nova image vm pull NAME`) and OSes the
// user downloads themselves (Windows 11). Data only, shared by the engine, the CLI and the wizard.
// A user's own entries (a local mirror, an in-house image) go in <config>/os-images.json with
// the same shape; they add to this list or replace an entry of the same name.

export const osImageName = lazy(() => z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'image name: 1-63 lowercase letters, digits, ".", "-" or "_", e.g. "debian-12"'));

/** How the distro publishes checksums: GNU `HASH  FILE` lines or BSD `SHA256 (FILE) = HASH` lines (both parsed). */
export const osImageChecksums = lazy(() => z
  .object({
    algorithm: z.enum(['sha256', 'sha512']),
    /** The checksum list, a file name relative to `base` (or an absolute URL). */
    file: z.string().min(1),
  })
  .strict());

/**
 * The distro's OpenPGP signature, checked with gpgv against the keyring Nova ships
 * (resources/keys/KEYRING, or /usr/share/keyrings/KEYRING, or an absolute path in a user entry).
 * `detached`: FILE is a signature over the checksum list; `clearsigned`: the list itself is signed;
 * `image`: FILE is a detached signature over the image.
 */
export const osImageSignature = lazy(() => z
  .object({
    file: z.string().min(1),
    mode: z.enum(['detached', 'clearsigned', 'image']),
    keyring: z.string().min(1),
  })
  .strict());

export const osImageEntry = lazy(() => z
  .object({
    name: osImageName,
    title: z.string().min(1),
    os: z.enum(['linux', 'windows', 'other']),
    /** `cloud`: Nova downloads it; `user-download`: the user fetches it from `page` (licence terms). */
    kind: z.enum(['cloud', 'user-download']),
    /** Where the files are: the directory URL, replaced by `--mirror URL`. */
    base: z.string().url().optional(),
    /** The image file name under `base`. */
    file: z.string().min(1).optional(),
    format: z.enum(['qcow2', 'raw', 'iso']).default('qcow2'),
    checksums: osImageChecksums.optional(),
    /** Absent: the distro publishes no signature; the pull says so. */
    signature: osImageSignature.optional(),
    /** Why a signature is not checked (shown with the pull result). */
    signatureNote: z.string().optional(),
    page: z.string().url().optional(),
    /** The NovaFile preset a VM of this OS should use. */
    preset: z.enum(['win11', 'linux']).optional(),
    notes: z.string().optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.kind === 'cloud' && (!e.base || !e.file || !e.checksums)) {
      ctx.addIssue({ code: 'custom', path: ['base'], message: `${e.name}: a cloud image needs base, file and checksums` });
    }
    if (e.kind === 'user-download' && !e.page) ctx.addIssue({ code: 'custom', path: ['page'], message: `${e.name}: a user download needs page = "https://…"` });
  }));
export type OsImageEntry = z.infer<typeof osImageEntry>;
export type OsImageEntryInput = z.input<typeof osImageEntry>;

const DEBIAN_NOTE = 'Debian publishes no OpenPGP signature for its cloud image checksums (SHA512SUMS only): checksum checked, signature not';

export const OS_CATALOG: OsImageEntryInput[] = [
  {
    name: 'debian-12',
    title: 'Debian 12 "bookworm" (generic cloud)',
    os: 'linux',
    kind: 'cloud',
    base: 'https://cloud.debian.org/images/cloud/bookworm/latest/',
    file: 'debian-12-genericcloud-amd64.qcow2',
    checksums: { algorithm: 'sha512', file: 'SHA512SUMS' },
    signatureNote: DEBIAN_NOTE,
    preset: 'linux',
  },
  {
    name: 'debian-13',
    title: 'Debian 13 "trixie" (generic cloud)',
    os: 'linux',
    kind: 'cloud',
    base: 'https://cloud.debian.org/images/cloud/trixie/latest/',
    file: 'debian-13-genericcloud-amd64.qcow2',
    checksums: { algorithm: 'sha512', file: 'SHA512SUMS' },
    signatureNote: DEBIAN_NOTE,
    preset: 'linux',
  },
  {
    name: 'ubuntu-24.04',
    title: 'Ubuntu 24.04 LTS "noble" (cloud image)',
    os: 'linux',
    kind: 'cloud',
    base: 'https://cloud-images.ubuntu.com/releases/24.04/release/',
    file: 'ubuntu-24.04-server-cloudimg-amd64.img',
    checksums: { algorithm: 'sha256', file: 'SHA256SUMS' },
    signature: { file: 'SHA256SUMS.gpg', mode: 'detached', keyring: 'ubuntu-cloudimage-keyring.gpg' },
    preset: 'linux',
  },
  {
    name: 'ubuntu-22.04',
    title: 'Ubuntu 22.04 LTS "jammy" (cloud image)',
    os: 'linux',
    kind: 'cloud',
    base: 'https://cloud-images.ubuntu.com/releases/22.04/release/',
    file: 'ubuntu-22.04-server-cloudimg-amd64.img',
    checksums: { algorithm: 'sha256', file: 'SHA256SUMS' },
    signature: { file: 'SHA256SUMS.gpg', mode: 'detached', keyring: 'ubuntu-cloudimage-keyring.gpg' },
    preset: 'linux',
  },
  {
    name: 'fedora-41',
    title: 'Fedora 41 Cloud Base',
    os: 'linux',
    kind: 'cloud',
    base: 'https://download.fedoraproject.org/pub/fedora/linux/releases/41/Cloud/x86_64/images/',
    file: 'Fedora-Cloud-Base-Generic-41-1.4.x86_64.qcow2',
    checksums: { algorithm: 'sha256', file: 'Fedora-Cloud-41-1.4-x86_64-CHECKSUM' },
    // distribution-gpg-keys' Fedora key (ASCII-armored, read by Nova for gpgv); resources/keys/fedora/ first.
    signature: { file: 'Fedora-Cloud-41-1.4-x86_64-CHECKSUM', mode: 'clearsigned', keyring: 'fedora/RPM-GPG-KEY-fedora-41-primary' },
    preset: 'linux',
  },
  {
    name: 'arch',
    title: 'Arch Linux (cloud image, latest)',
    os: 'linux',
    kind: 'cloud',
    base: 'https://geo.mirror.pkgbuild.com/images/latest/',
    file: 'Arch-Linux-x86_64-cloudimg.qcow2',
    checksums: { algorithm: 'sha256', file: 'Arch-Linux-x86_64-cloudimg.qcow2.SHA256' },
    signature: { file: 'Arch-Linux-x86_64-cloudimg.qcow2.sig', mode: 'image', keyring: 'archlinux-arch-boxes.gpg' },
    preset: 'linux',
  },
  {
    name: 'windows-11',
    title: 'Windows 11 (your own download)',
    os: 'windows',
    kind: 'user-download',
    format: 'iso',
    page: 'https://www.microsoft.com/software-download/windows11',
    preset: 'win11',
    notes: 'Microsoft\'s licence does not let Nova download it: get the ISO from the page, then create the VM with --iso PATH (and the virtio-win ISO as a second CD).',
  },
];
