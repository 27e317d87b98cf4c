import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { novafileSchema, vmSpec } from '../../../shared/schemas/novafile.js';
import { renderPreset } from '../../../shared/presets.js';
import { initialWizard, memoryGuidance, presetOptions, wizardProblems, wizardRender, wizardSpec, wizardToml } from './wizard';

describe('VM wizard', () => {
  it('win11 writes UEFI + Secure Boot + TPM and the NovaFile schema accepts it', () => {
    const s = { ...initialWizard('win11'), iso: '/srv/iso/win11.iso' };
    const toml = wizardToml(s);
    const parsed = novafileSchema.parse(parse(toml));
    const vm = parsed.vm.win11!;
    expect(vm).toMatchObject({ cpu: 4, memory: 8 * 1024 ** 3, preset: 'win11', os: 'windows', firmware: 'uefi', secure_boot: true, tpm: true, iso: ['/srv/iso/win11.iso'] });
    expect(vm.disks).toEqual([{ path: 'win11.qcow2', size: 64 * 1024 ** 3, format: 'qcow2', bus: 'virtio' }]);
    expect(wizardProblems(s)).toEqual({});
  });

  it('a GPU turns on passthrough and turns the balloon off in the guidance', () => {
    const s = { ...initialWizard('gpu-labs'), gpu: '0000:01:00.0' };
    expect(vmSpec.parse(wizardSpec(s))).toMatchObject({ gpu_passthrough: true, gpu: '0000:01:00.0', balloon: false });
    expect(memoryGuidance(s)).toMatch(/pins all 16 GiB/);
  });

  it('names the problem for bad input', () => {
    const s = { ...initialWizard('blank'), name: 'Bad', cpu: 0 };
    const p = wizardProblems(s);
    expect(p.name).toMatch(/lowercase/);
    expect(p.cpu).toMatch(/1 to 512/);
    expect(wizardProblems({ ...initialWizard('win11'), tpm: false }).tpm).toMatch(/TPM 2.0/);
  });

  it('sub-GiB memory is written in MiB', () => {
    expect(wizardSpec({ ...initialWizard('blank'), name: 'x', memoryGiB: 0.5 }).memory).toBe('512Mi');
  });

  it('presets are the shared rendering (what `nova wizard vm` prints) with the firmware and balloon choices on top', () => {
    const s = { ...initialWizard('gpu-labs'), name: 'lab', gpu: '0000:01:00.0' };
    expect(presetOptions(s)).toMatchObject({ name: 'lab', preset: 'gpu-labs', cpu: 8, memory: 16 * 1024 ** 3, diskSize: 100 * 1024 ** 3, gpu: '0000:01:00.0' });
    const merged = wizardSpec({ ...s, firmware: 'bios', secureBoot: false });
    expect(merged).toMatchObject({ preset: 'gpu-labs', os: 'windows', balloon: false, firmware: 'bios', hugepages: true, gpu_passthrough: true });
    expect(merged).not.toHaveProperty('secure_boot');
    expect(wizardRender(s).guidance).toEqual(renderPreset(presetOptions(s)!).guidance);
  });

  it('gpu-labs has the CLI preset values from the first step on, before any GPU is picked', () => {
    const spec = wizardSpec({ ...initialWizard('gpu-labs'), name: 'lab' });
    expect(spec).toMatchObject({ os: 'windows', gpu_passthrough: true, hugepages: true, secure_boot: true, tpm: true, balloon: false, cpu: 8, memory: '16Gi' });
  });

  describe('boot sources', () => {
    const base = { ...initialWizard('blank'), name: 'web', diskGiB: 20 };
    const spec = (patch: Partial<ReturnType<typeof initialWizard>>) => vmSpec.parse(wizardSpec({ ...base, ...patch }));

    it('an ISO installs onto the new disk (install = true), with virtio-win as a second CD', () => {
      expect(spec({ iso: '/iso/debian.iso' })).toMatchObject({ iso: '/iso/debian.iso', install: true, disks: [{ path: 'web.qcow2', size: 20 * 1024 ** 3 }] });
      expect(spec({ iso: '/iso/d.iso', virtioWin: '/iso/virtio-win.iso' }).iso).toEqual(['/iso/d.iso', '/iso/virtio-win.iso']);
      const win = vmSpec.parse(wizardSpec({ ...initialWizard('win11'), iso: '/iso/win11.iso', virtioWin: '/iso/virtio-win.iso' }));
      expect(win).toMatchObject({ iso: ['/iso/win11.iso', '/iso/virtio-win.iso'], install: true, tpm: true, secure_boot: true });
    });

    it('a catalog image is downloaded first, then backs the new disk', () => {
      expect(wizardProblems({ ...base, source: 'catalog' }).source).toMatch(/pick a catalog image/);
      expect(wizardProblems({ ...base, source: 'catalog', osImage: 'debian-12' }).source).toMatch(/download debian-12 first/);
      const s = { ...base, source: 'catalog' as const, osImage: 'debian-12', osImagePath: '/data/os-images/debian-12/d.qcow2' };
      expect(wizardProblems(s)).toEqual({});
      expect(spec(s).disks).toEqual([{ path: 'web.qcow2', size: 20 * 1024 ** 3, backing: '/data/os-images/debian-12/d.qcow2' }]);
      expect(spec(s).iso).toBeUndefined();
    });

    it('a catalog image gets the cloud-init user and keys typed (the NovaFile section, checked by the engine schema)', () => {
      const s = { ...base, source: 'catalog' as const, osImage: 'debian-12', osImagePath: '/d.qcow2', ciUser: 'dev', ciKeys: 'ssh-ed25519 AAAAC3Nza me@laptop\n\n' };
      expect(spec(s).cloud_init).toMatchObject({ user: 'dev', ssh_authorized_keys: ['ssh-ed25519 AAAAC3Nza me@laptop'] });
      expect(wizardToml(s)).toContain('cloud_init = { user = "dev", ssh_authorized_keys = ["ssh-ed25519 AAAAC3Nza me@laptop"] }');
      expect(spec({ ...s, ciUser: '', ciKeys: '' }).cloud_init).toBeUndefined();
      expect(spec({ ...s, source: 'iso', iso: '/i.iso' }).cloud_init).toBeUndefined();
      expect(wizardProblems({ ...s, ciUser: 'Bad User' }).ciUser).toMatch(/Linux user name/);
      expect(wizardProblems({ ...s, ciKeys: 'not a key' }).ciKeys).toMatch(/not an SSH public key/);
    });

    it('an existing disk or a kernel boots without a new disk', () => {
      expect(wizardProblems({ ...base, source: 'disk' }).source).toMatch(/path of the disk image/);
      const disk = spec({ source: 'disk', existingDisk: '/vms/old.qcow2' });
      expect(disk).toMatchObject({ image: '/vms/old.qcow2', disks: [] });
      const k = spec({ source: 'kernel', kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=ttyS0' });
      expect(k).toMatchObject({ kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=ttyS0', disks: [] });
      expect(wizardProblems({ ...initialWizard('win11'), source: 'kernel', kernel: '/k' }).source).toMatch(/Windows installs from its ISO/);
      expect(vmSpec.parse(wizardSpec({ ...initialWizard('win11'), source: 'disk', existingDisk: '/vms/win.qcow2' }))).toMatchObject({ image: '/vms/win.qcow2', disks: [] });
    });
  });
});

describe('VM wizard: more NICs and shared folders', () => {
  const base = { ...initialWizard('blank'), name: 'dev', source: 'kernel' as const, kernel: '/k/vmlinuz' };

  it('more NICs become nics = [...] with the first network first; shares become shares = [...]; the schema accepts both', () => {
    const s = {
      ...base, network: 'lab',
      nics: [{ network: 'user', model: 'e1000e' as const }, { network: 'dmz', model: 'virtio' as const }],
      shares: [{ host: '/home/me/src', tag: 'src', readonly: false, driver: 'auto' as const }, { host: '/srv/docs', tag: 'docs', readonly: true, driver: '9p' as const }],
    };
    expect(wizardProblems(s)).toEqual({});
    const toml = wizardToml(s);
    expect(toml).toContain('nics = [{ network = "lab" }, { network = "user", model = "e1000e" }, { network = "dmz" }]');
    expect(toml).toContain('shares = [{ host = "/home/me/src", tag = "src" }, { host = "/srv/docs", tag = "docs", readonly = true, driver = "9p" }]');
    expect(toml).not.toMatch(/^network = /m);
    const vm = novafileSchema.parse(parse(toml)).vm.dev!;
    expect(vm.nics?.map((n) => n.network)).toEqual(['lab', 'user', 'dmz']);
    expect(vm.shares).toEqual([{ host: '/home/me/src', tag: 'src', readonly: false, driver: 'auto' }, { host: '/srv/docs', tag: 'docs', readonly: true, driver: '9p' }]);
  });

  it('names the problem: a switch twice, a NIC without a network, a bad or repeated tag, read-only virtiofs', () => {
    expect(wizardProblems({ ...base, network: 'lab', nics: [{ network: 'lab', model: 'virtio' }] }).nics).toMatch(/"lab" is on an earlier NIC/);
    expect(wizardProblems({ ...base, nics: [{ network: '', model: 'virtio' }] }).nics).toMatch(/pick a network/);
    const sh = (tag: string, extra = {}) => ({ host: '/x', tag, readonly: false, driver: 'auto' as const, ...extra });
    expect(wizardProblems({ ...base, shares: [sh('bad tag')] }).shares).toMatch(/folder 1: a tag is/);
    expect(wizardProblems({ ...base, shares: [sh('a'), sh('a')] }).shares).toMatch(/folder 2: tag "a"/);
    expect(wizardProblems({ ...base, shares: [sh('a', { readonly: true, driver: 'virtiofs' })] }).shares).toMatch(/read-only/);
    expect(wizardProblems({ ...base, shares: [sh('a', { host: ' ' })] }).shares).toMatch(/give the host folder/);
  });

  it('a user-mode NIC carries its port forwards (a switch NIC none); a bad one is named', () => {
    const s = { ...base, network: 'lab', nics: [{ network: 'user', model: 'virtio' as const, ports: '127.0.0.1:2222:22, 8080:80/udp' }, { network: 'dmz', model: 'virtio' as const, ports: '9:9' }] };
    expect(wizardProblems(s)).toEqual({});
    const toml = wizardToml(s);
    expect(toml).toContain('nics = [{ network = "lab" }, { network = "user", ports = ["127.0.0.1:2222:22", "8080:80/udp"] }, { network = "dmz" }]');
    const vm = novafileSchema.parse(parse(toml)).vm.dev!;
    expect(vm.nics?.map((n) => n.ports)).toEqual([[], ['127.0.0.1:2222:22', '8080:80/udp'], []]);
    expect(wizardProblems({ ...s, nics: [{ network: 'user', model: 'virtio', ports: '2222:22 ssh' }] }).nics).toMatch(/"ssh" is not a port forward/);
  });

  it('win11 with a second NIC keeps the preset rendering', () => {
    const s = { ...initialWizard('win11'), iso: '/i.iso', network: 'lab', nics: [{ network: 'user', model: 'e1000e' as const }] };
    const vm = novafileSchema.parse(parse(wizardToml(s))).vm.win11!;
    expect(vm).toMatchObject({ preset: 'win11', tpm: true });
    expect(vm.nics?.map((n) => n.network)).toEqual(['lab', 'user']);
  });
});
