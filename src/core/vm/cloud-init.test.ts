// cloud-init NoCloud seeds: the files, the NovaFile errors at their line:column, the ISO read back
// with xorriso, and a real TCG guest (Debian's cloud kernel, as in genericcloud images: no AHCI,
// so no q35 CD) that sees the seed as a read-only virtio disk on its first boot only.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/contract/vm.js';
import { cloudInitSpec } from '../../shared/schemas/novafile.js';
import { ensureTestGuest, TEST_GUEST_CMDLINE } from '../../test/guest.js';
import { describeHost, tempHome } from '../../test/host.js';
import type { TempHome } from '../../test/host.js';
import { validateNovafileText } from '../novafile/validate.js';
import { createRunner } from '../sys/runner.js';
import { pidAlive } from '../sys/proc.js';
import { buildSeed, seedFiles } from './cloud-init.js';
import { readRuntime } from './store.js';
import { waitFor } from '../../test/wait.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHh0ZXN0a2V5 dev@laptop';
const vm = { name: 'web', uuid: '11111111-2222-3333-4444-555555555555' };

describe('cloud-init seed files', () => {
  it('writes meta-data, a #cloud-config user-data and a DHCP network-config', () => {
    const ci = cloudInitSpec.parse({ user: 'dev', ssh_authorized_keys: [KEY], packages: ['htop'], runcmd: ['echo hi', ['touch', '/tmp/x y']] });
    const f = seedFiles(vm, ci);
    expect(f['meta-data']).toBe('instance-id: "nova-11111111-2222-3333-4444-555555555555"\nlocal-hostname: "web"\n');
    expect(f['user-data'].split('\n')).toEqual([
      '#cloud-config', 'hostname: "web"', 'users:', '  - name: "dev"', '    shell: "/bin/bash"', '    sudo: "ALL=(ALL) NOPASSWD:ALL"', '    groups: ["sudo", "wheel"]', '    lock_passwd: true',
      '    ssh_authorized_keys:', `      - "${KEY}"`, 'package_update: true', 'packages:', '  - "htop"', 'runcmd:', '  - "echo hi"', '  - ["touch", "/tmp/x y"]', '',
    ]);
    expect(f['network-config']).toContain('dhcp4: true');
    expect(seedFiles(vm, cloudInitSpec.parse({ user_data: 'u.yaml' }), '#cloud-config\nfoo: 1\n')['user-data']).toBe('#cloud-config\nfoo: 1\n');
  });

  it('adds Nova\'s client key, the pinned host key and DHCP per NIC MAC', () => {
    const nova = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINova nova';
    const host = { private: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', public: 'ssh-ed25519 AAAAHOST nova-vm-web' };
    const f = seedFiles(vm, cloudInitSpec.parse({ user: 'dev', ssh_authorized_keys: [KEY] }), undefined, { novaKey: nova, hostKey: host, macs: ['52:54:00:AA:BB:01', '52:54:00:aa:bb:02'] });
    const lines = f['user-data'].split('\n');
    expect(lines.slice(lines.indexOf('    ssh_authorized_keys:'), lines.indexOf('    ssh_authorized_keys:') + 3)).toEqual(['    ssh_authorized_keys:', `      - "${KEY}"`, `      - "${nova}"`]);
    expect(lines).toContain(`  ed25519_private: ${JSON.stringify(host.private)}`);
    expect(lines).toContain(`  ed25519_public: "${host.public}"`);
    // A MAC match resolves to the guest's own interface name with netplan, ENI and networkd alike.
    expect(f['network-config']).toBe('version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: "52:54:00:aa:bb:01"\n    dhcp4: true\n  nic1:\n    match:\n      macaddress: "52:54:00:aa:bb:02"\n    dhcp4: true\n');
    // The user's own user_data is theirs: nothing is added to it.
    expect(seedFiles(vm, cloudInitSpec.parse({ user_data: 'u.yaml' }), '#cloud-config\n', { novaKey: nova, hostKey: host })['user-data']).toBe('#cloud-config\n');
  });

  it('reports NovaFile mistakes at their line and column', () => {
    const text = ['[vm.web]', 'image = "d.qcow2"', '', '[vm.web.cloud_init]', 'users = "dev"', 'ssh_authorized_keys = ["not a key"]', ''].join('\n');
    const { errors } = validateNovafileText(text, 'NovaFile');
    expect(errors).toEqual(expect.arrayContaining([
      expect.objectContaining({ line: 5, column: 1, path: 'vm.web.cloud_init.users', message: 'unknown key `users` — did you mean `user`?' }),
    ]));
    const mixed = validateNovafileText(['[vm.web]', 'image = "d.qcow2"', '[vm.web.cloud_init]', 'packages = ["htop"]', 'user_data = "u.yaml"', ''].join('\n'), 'NovaFile');
    expect(mixed.errors[0]).toMatchObject({ line: 5, path: 'vm.web.cloud_init.user_data' });
    expect(mixed.errors[0]!.message).toMatch(/user_data replaces the generated #cloud-config: put packages into that file/);
    const badKey = validateNovafileText(['[vm.web]', 'image = "d.qcow2"', '[vm.web.cloud_init]', 'ssh_authorized_keys = ["nope"]', ''].join('\n'), 'NovaFile');
    expect(badKey.errors[0]).toMatchObject({ line: 4, path: 'vm.web.cloud_init.ssh_authorized_keys.0' });
  });
});

describeHost('cloud-init seed ISO (xorriso)', { tools: ['xorriso'] }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'npv-ci-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const readBack = (iso: string, name: string) => {
    const out = join(dir, 'out', name);
    execFileSync('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', `/${name}`, out], { stdio: 'pipe' });
    return readFile(out, 'utf8');
  };

  it('builds a cidata ISO whose files read back unchanged', async () => {
    const ci = cloudInitSpec.parse({ user: 'dev', ssh_authorized_keys: [KEY], runcmd: ['echo hi'] });
    const iso = await buildSeed(createRunner(), dir, { ...vm, baseDir: dir }, ci);
    expect(iso).toBe(join(dir, 'cloud-init', 'seed.iso'));
    const pvd = execFileSync('xorriso', ['-indev', iso, '-pvd_info'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(pvd).toMatch(/Volume Id\s*:\s*cidata/);
    const want = seedFiles(vm, ci);
    for (const name of ['meta-data', 'user-data', 'network-config'] as const) expect(await readBack(iso, name)).toBe(want[name]);
  });

  it('uses user_data from a file relative to the project, and names the field when it is wrong', async () => {
    await writeFile(join(dir, 'mine.yaml'), '#cloud-config\nruncmd: ["echo mine"]\n');
    const iso = await buildSeed(createRunner(), dir, { ...vm, baseDir: dir }, cloudInitSpec.parse({ user_data: 'mine.yaml' }));
    expect(await readBack(iso, 'user-data')).toBe('#cloud-config\nruncmd: ["echo mine"]\n');
    await expect(buildSeed(createRunner(), dir, { ...vm, baseDir: dir }, cloudInitSpec.parse({ user_data: 'missing.yaml' }))).rejects.toThrow(/cloud_init.user_data: .*missing\.yaml cannot be read/);
    await writeFile(join(dir, 'plain.yaml'), 'runcmd: []\n');
    await expect(buildSeed(createRunner(), dir, { ...vm, baseDir: dir }, cloudInitSpec.parse({ user_data: 'plain.yaml' }))).rejects.toThrow(/must start with "#cloud-config"/);
  });
});

describeHost('cloud-init seed on a real TCG guest', { root: true, tools: ['xorriso', 'qemu-system-x86_64', 'qemu-img', 'apt-get', 'cpio'] }, () => {
  let home: TempHome;
  const pids = new Set<number>();
  beforeAll(async () => {
    home = await tempHome('npv-civm-');
  });
  afterAll(async () => {
    const e = home.engine();
    await e.dispatcher.invoke('vm.destroy', { name: 'npvci' }).catch(() => undefined);
    for (const p of pids) if (pidAlive(p)) process.kill(p, 'SIGKILL');
    await home.cleanup();
  });

  it('attaches the seed as a virtio disk the cloud kernel sees at the first boot, and not at the next', async () => {
    const guest = await ensureTestGuest();
    const e = home.engine();
    const call = <T = VmInfo>(m: string, i: unknown) => e.dispatcher.invoke(m, i) as Promise<T>;
    await call('vm.create', { name: 'npvci', spec: { kernel: guest.kernel, initrd: guest.initrd, cmdline: TEST_GUEST_CMDLINE, memory: '128Mi', cpu: 1, network: 'none', cloud_init: { user: 'dev', ssh_authorized_keys: [KEY] } } });
    const first = await call('vm.start', { name: 'npvci' });
    if (first.pid) pids.add(first.pid);
    const argv1 = (await readRuntime(e.paths, 'npvci'))!.argv.join(' ');
    expect(argv1).toMatch(/cloud-init\/seed\.iso/);
    expect(argv1).toMatch(/virtio-blk-pci,drive=seed0,id=seed0-dev,serial=cidata/);
    // The guest lists each virtio disk it sees: the seed is the only one.
    await waitFor('the seed disk in the guest', async () => /nova-disk: vda/.test(await readFile(first.serialLog, 'utf8')), 120_000, 500);
    expect((await call('vm.stop', { name: 'npvci', force: true })).state).toBe('stopped');
    const second = await call('vm.start', { name: 'npvci' });
    if (second.pid) pids.add(second.pid);
    const argv2 = (await readRuntime(e.paths, 'npvci'))!.argv.join(' ');
    expect(argv2).not.toMatch(/seed\.iso/);
    expect((await call('vm.stop', { name: 'npvci', force: true })).state).toBe('stopped');
  }, 180_000);
});
