import { describe, expect, it } from 'vitest';
import { preflightProblems } from './preflight.js';
import type { PreflightFacts } from './preflight.js';

const GiB = 1024 ** 3;
const ok = (): PreflightFacts => ({
  vm: { name: 'web', state: 'running', memoryBytes: GiB, accelerator: 'tcg', gpuPassthrough: false, networks: ['lan'], diskBytes: 2 * GiB, qemu: '7.2.19' },
  target: { host: 'b', qemu: '7.2.19', kvm: false, memoryAvailableBytes: 8 * GiB, freeDiskBytes: 50 * GiB, networks: ['lan'], vmNames: [] },
});

describe('cross-host migration preflight', () => {
  it('passes when the target can take the VM', () => expect(preflightProblems(ok())).toEqual([]));

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
  ])('refuses %s with the fix', (_, change, why) => {
    const f = ok();
    change(f);
    const problems = preflightProblems(f);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(why);
  });
});
