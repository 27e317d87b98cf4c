import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { vmSpec } from '../../../shared/schemas/novafile.js';
import type { z } from 'zod';
import { buildVmConfig, renderArgv, renderText } from './build.js';
import type { HostFacts, ResolvedDisk, VmBuildInput } from './types.js';

// Golden files under src/core/vm/__golden__; regenerate with UPDATE_GOLDEN=1 and review the diff.
const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', '__golden__');

const host = (accel: 'kvm' | 'tcg'): HostFacts => ({
  accel,
  ovmf: {
    code: '/usr/share/OVMF/OVMF_CODE_4M.fd',
    secbootCode: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd',
    vars: '/usr/share/OVMF/OVMF_VARS_4M.fd',
    msVars: '/usr/share/OVMF/OVMF_VARS_4M.ms.fd',
  },
});

const layout = {
  pidfile: '/run/nova/vms/NAME/qemu.pid',
  qemuLog: '/run/nova/vms/NAME/qemu.log',
  qmp: '/run/nova/vms/NAME/qmp.sock',
  qmpEvents: '/run/nova/vms/NAME/qmpe.sock',
  vncSocket: '/run/nova/vms/NAME/vnc.sock',
  tpmSocket: '/run/nova/vms/NAME/tpm.sock',
  serialLog: '/var/lib/nova/vms/NAME/serial.log',
  serialSocket: '/run/nova/vms/NAME/serial.sock',
  qgaSocket: '/run/nova/vms/NAME/qga.sock',
  varsFile: '/var/lib/nova/vms/NAME/OVMF_VARS.fd',
};

function input(name: string, spec: z.input<typeof vmSpec>, extra: Partial<VmBuildInput> = {}): VmBuildInput {
  const l = Object.fromEntries(Object.entries(layout).map(([k, v]) => [k, v.replace('NAME', name)])) as typeof layout;
  return {
    name,
    uuid: '6f1c2f0e-6a55-4c59-9d55-1a2b3c4d5e6f',
    spec: vmSpec.parse(spec),
    disks: [],
    isos: [],
    nic: { kind: 'none' },
    vfio: [],
    layout: l,
    ...extra,
  };
}

const disk = (path: string, i: number, over: Partial<ResolvedDisk> = {}): ResolvedDisk => ({ path, format: 'qcow2', bus: 'virtio', readonly: false, node: `disk${i}`, ...over });

const CASES: Record<string, [VmBuildInput, HostFacts]> = {
  'kernel-boot-user-net': [
    input('micro', { kernel: '/k/vmlinuz', initrd: '/k/initrd.gz', cmdline: 'console=ttyS0 quiet', memory: '256Mi', cpu: 1, ports: ['8080:80', '127.0.0.1:2222:22'] }, {
      kernel: '/k/vmlinuz', initrd: '/k/initrd.gz', disks: [disk('/data/micro,data.qcow2', 0)],
      nic: { kind: 'user', mac: '52:54:00:aa:bb:cc', ports: [{ hostPort: 8080, guestPort: 80, protocol: 'tcp' }, { hostIp: '127.0.0.1', hostPort: 2222, guestPort: 22, protocol: 'tcp' }] },
    }),
    host('tcg'),
  ],
  'win11-kvm': [
    input('win11', { preset: 'win11', memory: '8Gi', cpu: 4, disks: [{ path: 'win11.qcow2', size: '64Gi' }], iso: ['/iso/Win11.iso', '/iso/virtio-win.iso'] }, {
      disks: [disk('/vms/win11.qcow2', 0)], isos: ['/iso/Win11.iso', '/iso/virtio-win.iso'], nic: { kind: 'user', mac: '52:54:00:01:02:03', ports: [] },
    }),
    host('kvm'),
  ],
  'win11-tcg': [
    input('win11', { preset: 'win11', memory: '4Gi', cpu: 2, disks: [{ path: 'win11.qcow2', size: '64Gi' }] }, { disks: [disk('/vms/win11.qcow2', 0)], nic: { kind: 'none' } }),
    host('tcg'),
  ],
  'gpu-labs-vfio-tap': [
    input('lab', { preset: 'gpu-labs', memory: '16Gi', cpu: 8, hugepages: true, gpu_passthrough: true, network: 'lan', disks: ['lab.qcow2'] }, {
      disks: [disk('/vms/lab.qcow2', 0)],
      nic: { kind: 'tap', mac: '52:54:00:10:20:30', ifname: 'nv-lab0', network: 'lan' },
      extraNics: [{ network: 'dmz', mac: '52:54:00:10:20:31', ifname: 'nv-dmz0' }],
      vfio: ['0000:02:00.0', '0000:01:00.1', '0000:01:00.0'],
      pciMmio64Mb: 65536,
    }),
    host('kvm'),
  ],
  'bios-mixed-disks-incoming': [
    input('legacy', { firmware: 'bios', balloon: false, disks: ['a.img', 'b.qcow2', 'c.qcow2'], iso: '/iso/install.iso' }, {
      disks: [disk('/vms/a.img', 0, { format: 'raw', bus: 'sata' }), disk('/vms/b.qcow2', 1, { bus: 'nvme' }), disk('/vms/c.qcow2', 2, { bus: 'sata', readonly: true })],
      isos: ['/iso/install.iso'], incoming: true,
    }),
    host('kvm'),
  ],
  // Root starts it: no -daemonize (the sandbox forbids fork), seccomp sandbox, drop to nova-qemu.
  'root-confined-tpm': [
    input('srv', { preset: 'win11', memory: '2Gi', cpu: 2, disks: ['srv.qcow2'] }, { disks: [disk('/var/lib/nova/storage/srv.qcow2', 0)], nic: { kind: 'user', mac: '52:54:00:0a:0b:0c', ports: [] } }),
    { ...host('tcg'), runAs: 'nova-qemu' },
  ],
};

describe('QEMU config builder (golden)', () => {
  for (const [name, [vm, h]] of Object.entries(CASES)) {
    it(`renders ${name}`, () => {
      const text = renderText(buildVmConfig(vm, h));
      const file = join(GOLDEN, `${name}.txt`);
      if (process.env.UPDATE_GOLDEN) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      // A missing golden file fails: written on the fly it would match whatever the builder says.
      expect(existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 and review it`).toBe(true);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }

  it('is deterministic and renders argv in section order', () => {
    const [vm, h] = CASES['win11-kvm']!;
    const a = renderArgv(buildVmConfig(vm, h));
    expect(renderArgv(buildVmConfig(structuredClone(vm), h))).toEqual(a);
    expect(a[0]).toBe('qemu-system-x86_64');
    expect(a.indexOf('-daemonize')).toBeGreaterThan(0);
  });

  it('win11: Secure Boot firmware, MS vars copy, smm, TPM CRB, explicit Hyper-V flags, no S3, no HPET', () => {
    const [vm, h] = CASES['win11-kvm']!;
    const argv = renderArgv(buildVmConfig(vm, h)).join(' ');
    expect(argv).toContain('-machine q35,smm=on,vmport=off,hpet=off,pflash0=fw-code,pflash1=fw-vars');
    expect(argv).toContain('filename=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd');
    expect(argv).toContain('filename=/var/lib/nova/vms/win11/OVMF_VARS.fd');
    expect(argv).toContain('driver=cfi.pflash01,property=secure,value=on');
    expect(argv).toContain('-device tpm-crb,tpmdev=tpm0');
    expect(argv).toContain('hv-relaxed,hv-vapic,hv-spinlocks=0x1fff');
    expect(argv).not.toContain('hv-passthrough');
    expect(argv).toContain('ICH9-LPC.disable_s3=1');
    expect(argv).toContain('virtio-balloon-pci');
  });

  it('TCG never gets Hyper-V flags (KVM-only) but keeps the rest of the Windows setup', () => {
    const [vm, h] = CASES['win11-tcg']!;
    const argv = renderArgv(buildVmConfig(vm, h)).join(' ');
    expect(argv).toContain('-accel tcg');
    expect(argv).toContain('-cpu max ');
    expect(argv).not.toContain('hv-');
    expect(argv).toContain('tpm-crb');
  });

  it('VFIO: functions of one device share a root port as a multifunction device', () => {
    const [vm, h] = CASES['gpu-labs-vfio-tap']!;
    const argv = renderArgv(buildVmConfig(vm, h));
    const vfio = argv.filter((a) => a.startsWith('vfio-pci'));
    expect(vfio).toEqual([
      'vfio-pci,host=0000:01:00.0,id=hostdev0-0,bus=vfio-rp0,addr=0x0.0,multifunction=on',
      'vfio-pci,host=0000:01:00.1,id=hostdev0-1,bus=vfio-rp0,addr=0x0.1',
      'vfio-pci,host=0000:02:00.0,id=hostdev1-0,bus=vfio-rp1,addr=0x0.0',
    ]);
    expect(argv.join(' ')).toContain('memory-backend-file,id=mem0,size=16384M,mem-path=/dev/hugepages');
  });

  it('root-started QEMU is confined (sandbox + run-as, detached by Nova); a user\'s QEMU gets neither', () => {
    const confined = renderArgv(buildVmConfig(...CASES['root-confined-tpm']!));
    expect(confined.join(' ')).toContain('-sandbox on,obsolete=deny,spawn=deny,resourcecontrol=deny -runas nova-qemu');
    expect(confined).not.toContain('-daemonize');
    for (const [name, [vm, h]] of Object.entries(CASES).filter(([n]) => n !== 'root-confined-tpm')) {
      const argv = renderArgv(buildVmConfig(vm, h));
      expect([name, argv.includes('-sandbox'), argv.includes('-runas'), argv.includes('-daemonize')]).toEqual([name, false, false, true]);
    }
  });

  it('hot-plug: spare PCIe root ports on every VM, one more per extra NIC, which sits behind its own port', () => {
    const ports = (argv: string[]) => argv.filter((a) => a.startsWith('pcie-root-port,id=hp'));
    for (const [name, [vm, h]] of Object.entries(CASES)) {
      const argv = renderArgv(buildVmConfig(vm, h));
      expect([name, ports(argv).length]).toEqual([name, 4 + (vm.extraNics?.length ?? 0)]);
      // (chassis, slot) pairs are unique, also against the VFIO root ports.
      const pairs = argv.filter((a) => a.startsWith('pcie-root-port')).map((a) => /chassis=\d+,slot=\d+/.exec(a)![0]);
      expect(new Set(pairs).size).toBe(pairs.length);
    }
    const argv = renderArgv(buildVmConfig(...CASES['gpu-labs-vfio-tap']!));
    expect(argv).toContain('tap,id=net-dmz,ifname=nv-dmz0,script=no,downscript=no,vhost=on');
    expect(argv).toContain('e1000e,netdev=net-dmz,id=nic-dmz,mac=52:54:00:10:20:31,bus=hp0'); // the preset's Windows model
    // The first NIC stays where it was (pcie.0, not unpluggable): a guest's eth0 keeps its name.
    expect(argv).toContain('e1000e,netdev=net0,id=nic0,mac=52:54:00:10:20:30');
    // Added last: every device that existed before keeps its PCI address.
    expect(argv.indexOf('pcie-root-port,id=hp0,chassis=1,slot=1,bus=pcie.0')).toBeGreaterThan(argv.findLastIndex((a) => a.startsWith('vfio-pci')));
  });

  it('several declared NICs: net0/nic0 first as before, then net1/nic1, … on pcie.0, each its own MAC, model and backend', () => {
    const [vm, h] = CASES['kernel-boot-user-net']!;
    const argv = renderArgv(buildVmConfig({
      ...vm,
      moreNics: [
        { kind: 'tap', mac: '52:54:00:aa:bb:01', ifname: 'nv-lab0', network: 'lab' },
        { kind: 'user', mac: '52:54:00:aa:bb:02', ports: [{ hostPort: 2222, guestPort: 22, protocol: 'tcp' }], device: 'e1000e' },
      ],
    }, h));
    const net = argv.slice(argv.indexOf('-netdev'), argv.indexOf('-device', argv.lastIndexOf('-netdev')) + 2);
    expect(net).toEqual([
      '-netdev', 'user,id=net0,hostfwd=tcp::8080-:80,hostfwd=tcp:127.0.0.1:2222-:22', '-device', 'virtio-net-pci,netdev=net0,id=nic0,mac=52:54:00:aa:bb:cc',
      '-netdev', 'tap,id=net1,ifname=nv-lab0,script=no,downscript=no', '-device', 'virtio-net-pci,netdev=net1,id=nic1,mac=52:54:00:aa:bb:01',
      '-netdev', 'user,id=net2,hostfwd=tcp::2222-:22', '-device', 'e1000e,netdev=net2,id=nic2,mac=52:54:00:aa:bb:02',
    ]);
  });

  it('a NIC on an overlay gets the segment MTU through virtio-net host_mtu (first, more and hot-plug-port NICs); other models and 1500 do not', () => {
    const [vm, h] = CASES['kernel-boot-user-net']!;
    const argv = renderArgv(buildVmConfig({
      ...vm,
      nic: { kind: 'tap', mac: '52:54:00:aa:bb:cc', ifname: 'nv-q0', network: 'mesh', mtu: 1419 },
      moreNics: [
        { kind: 'tap', mac: '52:54:00:aa:bb:01', ifname: 'nv-w0', network: 'wg', mtu: 1370 },
        { kind: 'tap', mac: '52:54:00:aa:bb:02', ifname: 'nv-e0', network: 'wg2', mtu: 1370, device: 'e1000e' },
        { kind: 'tap', mac: '52:54:00:aa:bb:03', ifname: 'nv-l0', network: 'lan', mtu: 1500 },
      ],
      extraNics: [{ network: 'mesh2', mac: '52:54:00:aa:bb:04', ifname: 'nv-m0', mtu: 1419 }],
    }, h));
    expect(argv).toContain('virtio-net-pci,netdev=net0,id=nic0,mac=52:54:00:aa:bb:cc,host_mtu=1419');
    expect(argv).toContain('virtio-net-pci,netdev=net1,id=nic1,mac=52:54:00:aa:bb:01,host_mtu=1370');
    expect(argv).toContain('e1000e,netdev=net2,id=nic2,mac=52:54:00:aa:bb:02');
    expect(argv).toContain('virtio-net-pci,netdev=net3,id=nic3,mac=52:54:00:aa:bb:03');
    expect(argv.find((a) => a.includes('mac=52:54:00:aa:bb:04'))).toMatch(/,host_mtu=1419,bus=hp0$/);
  });

  it('shares: virtiofs on a vhost-user socket with the guest RAM on a shared memfd; 9p served by QEMU (readonly enforced)', () => {
    const [vm, h] = CASES['kernel-boot-user-net']!;
    const argv = renderArgv(buildVmConfig({
      ...vm,
      shares: [
        { tag: 'src', host: '/home/u/src', readonly: false, driver: 'virtiofs', socket: '/run/nova/vms/micro/qemu/fs0.sock' },
        { tag: 'docs', host: '/home/u/my,docs', readonly: true, driver: '9p' },
      ],
    }, h));
    expect(argv).toContain('q35,smm=off,vmport=off,memory-backend=mem0');
    expect(argv).toContain('memory-backend-memfd,id=mem0,size=256M,share=on');
    expect(argv).toContain('vhost-user-fs-pci,chardev=fs0,tag=src,queue-size=1024,id=fs0-dev');
    expect(argv).toContain('socket,id=fs0,path=/run/nova/vms/micro/qemu/fs0.sock');
    expect(argv).toContain('local,id=fsdev1,path=/home/u/my,,docs,security_model=none,readonly=on');
    expect(argv).toContain('virtio-9p-pci,fsdev=fsdev1,mount_tag=docs,id=fs1-dev');
    // Only 9p: no shared memory needed.
    const only9p = renderArgv(buildVmConfig({ ...vm, shares: [{ tag: 'docs', host: '/d', readonly: false, driver: '9p' }] }, h));
    expect(only9p.some((a) => a.includes('memory-backend'))).toBe(false);
  });

  it('clipboard = true: the qemu-vdagent chardev (clipboard on, pointer off) on the com.redhat.spice.0 port of the agent\'s virtio-serial bus; off by default', () => {
    const [vm, h] = CASES['kernel-boot-user-net']!;
    const argv = renderArgv(buildVmConfig({ ...vm, spec: { ...vm.spec, clipboard: true } }, h));
    expect(argv).toContain('qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off');
    expect(argv).toContain('virtserialport,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0');
    expect(argv.indexOf('virtio-serial-pci,id=vserial0')).toBeLessThan(argv.indexOf('virtserialport,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0'));
    expect(renderArgv(buildVmConfig(vm, h)).some((a) => a.includes('vdagent'))).toBe(false);
  });

  it('display: virtio-vga by default (resizable), standard VGA for Windows; display = "vga" / "virtio" overrides either', () => {
    const video = (vm: VmBuildInput, h: HostFacts) => renderArgv(buildVmConfig(vm, h)).find((a) => a.endsWith(',id=video0'));
    const [linux, h] = CASES['kernel-boot-user-net']!;
    const [win, wh] = CASES['win11-kvm']!;
    expect(video(linux, h)).toBe('virtio-vga,id=video0');
    expect(video(win, wh)).toBe('VGA,id=video0');
    expect(video({ ...linux, spec: { ...linux.spec, display: 'vga' } }, h)).toBe('VGA,id=video0');
    expect(video({ ...win, spec: { ...win.spec, display: 'virtio' } }, wh)).toBe('virtio-vga,id=video0');
    expect(vmSpec.safeParse({ kernel: '/k', display: 'qxl' }).success).toBe(false);
  });

  it('escapes commas in paths for QEMU keyval options', () => {
    const [vm, h] = CASES['kernel-boot-user-net']!;
    expect(renderArgv(buildVmConfig(vm, h)).join(' ')).toContain('filename=/data/micro,,data.qcow2');
  });
});
