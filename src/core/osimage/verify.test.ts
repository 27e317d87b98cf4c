// Distro keys from the system: catalog keyring names resolve in the system's key folders
// (/usr/share/keyrings, /usr/share/distribution-gpg-keys/<distro>/), armored key files (as
// distribution-gpg-keys ships them) are decoded for gpgv, names cannot leave those folders, and the
// real catalog's keyrings are looked up where Debian's packages put them.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { OS_CATALOG } from '../../shared/os-catalog.js';
import { describeHost } from '../../test/host.js';
import { createRunner } from '../sys/runner.js';
import { dearmor, gpgVerify, keyringPath } from './verify.js';

const gpg = (home: string, args: string[]) => execFileSync('gpg', ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { stdio: 'pipe' });

describeHost('distro keys for gpgv', { tools: ['gpg', 'gpgv'] }, () => {
  let dir: string;
  let sys: string;
  let gnupg: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npv-keys-'));
    gnupg = join(dir, 'gnupg');
    sys = join(dir, 'distribution-gpg-keys');
    await mkdir(gnupg, { mode: 0o700 });
    await mkdir(join(sys, 'fedora'), { recursive: true });
    gpg(gnupg, ['--quick-gen-key', 'Fedora (41) <fedora-41-primary@fedoraproject.test>', 'ed25519', 'sign', 'never']);
    // As distribution-gpg-keys ships it: ASCII-armored, a folder per distro.
    await writeFile(join(sys, 'fedora', 'RPM-GPG-KEY-fedora-41-primary'), gpg(gnupg, ['--armor', '--export']));
    await writeFile(join(dir, 'CHECKSUM'), 'SHA256 (disk.qcow2) = 00\n');
    gpg(gnupg, ['--clearsign', '--output', join(dir, 'CHECKSUM.asc'), join(dir, 'CHECKSUM')]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds a "distro/KEY" name in the system folders and never outside them', () => {
    const found = keyringPath('fedora/RPM-GPG-KEY-fedora-41-primary', '/nonexistent', ['/nonexistent-keyrings', sys]);
    expect(found).toBe(join(sys, 'fedora', 'RPM-GPG-KEY-fedora-41-primary'));
    for (const bad of ['../fedora/RPM-GPG-KEY-fedora-41-primary', 'fedora/../../etc/passwd', 'a/b/c', '.hidden', 'fedora/']) expect(keyringPath(bad, '/nonexistent', [sys])).toBeUndefined();
  });

  it('checks a clearsigned list against an armored key (decoded for gpgv), and refuses a key that did not sign it', async () => {
    const key = keyringPath('fedora/RPM-GPG-KEY-fedora-41-primary', '/nonexistent', [sys])!;
    const signed = execFileSync('cat', [join(dir, 'CHECKSUM.asc')]);
    await expect(gpgVerify(createRunner(), key, signed)).resolves.toMatch(/Good signature from "Fedora \(41\)/);
    const other = join(dir, 'other');
    await mkdir(other, { mode: 0o700 });
    gpg(other, ['--quick-gen-key', 'Someone Else <else@nova.test>', 'ed25519', 'sign', 'never']);
    await writeFile(join(sys, 'fedora', 'other.asc'), gpg(other, ['--armor', '--export']));
    await expect(gpgVerify(createRunner(), join(sys, 'fedora', 'other.asc'), signed)).rejects.toThrow(/signature check failed .*No public key/);
    expect(dearmor('not a key')).toBeUndefined();
  });

  it('looks up the catalog\'s keyrings where the distros\' packages put them', () => {
    const names = Object.fromEntries(OS_CATALOG.filter((e) => e.signature).map((e) => [e.name, e.signature!.keyring]));
    // ubuntu-keyring: /usr/share/keyrings/ubuntu-cloudimage-keyring.gpg; distribution-gpg-keys: fedora/…
    expect(names['ubuntu-24.04']).toBe('ubuntu-cloudimage-keyring.gpg');
    expect(names['fedora-41']).toBe('fedora/RPM-GPG-KEY-fedora-41-primary');
    const fake = join(dir, 'keyrings');
    execFileSync('mkdir', ['-p', fake]);
    execFileSync('cp', [join(sys, 'fedora', 'RPM-GPG-KEY-fedora-41-primary'), join(fake, 'ubuntu-cloudimage-keyring.gpg')]);
    expect(keyringPath(names['ubuntu-24.04']!, '/nonexistent', [fake, sys])).toBe(join(fake, 'ubuntu-cloudimage-keyring.gpg'));
    expect(keyringPath(names['fedora-41']!, '/nonexistent', [fake, sys])).toContain('/fedora/');
  });
});
