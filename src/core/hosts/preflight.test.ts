import { describe, expect, it } from 'vitest';
import { preflightCarries, preflightProblems } from './preflight.js';
import type { PreflightFacts } from './preflight.js';

const GiB = 1024 ** 3;
const CODE = { path: '/usr/share/OVMF/OVMF_CODE_4M.fd', sha256: 'a'.repeat(64) };
const ok = (): PreflightFacts => ({
  vm: { name: 'web', state: 'running', memoryBytes: GiB, accelerator: 'tcg', gpuPassthrough: false, networks: ['lan'], diskBytes: 2 * GiB, qemu: '7.2.19' },
  target: { host: 'b', qemu: '7.2.19', kvm: false, memoryAvailableBytes: 8 * GiB, freeDiskBytes: 50 * GiB, networks: ['lan'], vmNames: [] },
});

describe('cross-host migration preflight', () => {
  it('passes when the target can take the VM', () => expect(preflightProblems(ok())).toEqual([]));

  it('passes a UEFI + TPM VM (Windows 11: Secure Boot) when the target has the same OVMF build and swtpm', () => {
    const f = ok();
    f.vm.uefi = { secureBoot: true, code: { ...CODE, path: '/usr/share/OVMF/OVMF_CODE_4M.secboot.fd' } };
    f.vm.tpm = true;
    // Another path is fine (another distribution's layout): the content decides.
    f.target.ovmf = { secbootCode: { ...CODE, path: '/usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd' } };
    f.target.swtpm = true;
    expect(preflightProblems(f)).toEqual([]);
    expect(preflightCarries(f)).toEqual([
      "the UEFI variable store (mirrored like a disk onto b's Secure Boot OVMF build)",
      'the TPM state (keys, NV, PCRs: inside the RAM stream, into a fresh swtpm on b)',
    ]);
    expect(preflightCarries(ok())).toEqual([]);
  });

  it.each<[string, (f: PreflightFacts) => void, RegExp]>([
    ['a stopped VM', (f) => void (f.vm.state = 'stopped'), /only a running VM/],
    ['a GPU-passthrough VM', (f) => void (f.vm.gpuPassthrough = true), /GPU passed through.*cannot be migrated live/],
    ['too little memory on the target', (f) => void (f.target.memoryAvailableBytes = GiB), /memory available.*lower the VM's memory/],
    ['too little disk on the target', (f) => void (f.target.freeDiskBytes = GiB), /free space there/],
    ['a switch missing on the target', (f) => void (f.target.networks = []), /switch lan does not exist on host b.*net create lan/],
    ['a VM with a virtiofs share', (f) => void (f.vm.virtiofsShares = ['src']), /virtiofs shared folders "src".*set driver = "9p"/],
    ['a VM with clipboard = true', (f) => void (f.vm.clipboard = true), /clipboard = true.*set clipboard = false/],
    ['a KVM VM to a TCG-only host', (f) => void (f.vm.accelerator = 'kvm'), /no usable KVM/],
    ['an older QEMU on the target', (f) => void (f.target.qemu = '7.1.0'), /older than this host's/],
    ['no QEMU on the target', (f) => void delete f.target.qemu, /install qemu-system-x86/],
    ['a name taken on the target', (f) => void (f.target.vmNames = ['web']), /already has a VM named web/],
    ['a UEFI VM to a host without OVMF', (f) => void (f.vm.uefi = { secureBoot: false, code: CODE }), /host b has no OVMF firmware.*install the ovmf package there/],
    ['a UEFI VM to a host with another OVMF build', (f) => {
      f.vm.uefi = { secureBoot: false, code: CODE };
      f.target.ovmf = { code: { path: '/usr/share/edk2/x64/OVMF_CODE.4m.fd', sha256: 'b'.repeat(64) } };
    }, /OVMF_CODE\.4m\.fd is another build than this host's \/usr\/share\/OVMF\/OVMF_CODE_4M\.fd \(sha256 bbbbbbbbbbbb… vs aaaaaaaaaaaa…\).*same ovmf version/],
    ['a Secure Boot VM to a host with only the plain OVMF build', (f) => {
      f.vm.uefi = { secureBoot: true, code: CODE };
      f.target.ovmf = { code: CODE };
    }, /host b has no Secure Boot OVMF firmware/],
    ['a TPM VM to a host without swtpm', (f) => void (f.vm.tpm = true), /has a TPM, host b has no swtpm: install the swtpm package there/],
  ])('refuses %s with the fix', (_, change, why) => {
    const f = ok();
    change(f);
    const problems = preflightProblems(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(why);
  });
});
