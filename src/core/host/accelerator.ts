import { constants } from 'node:fs';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { acceleratorInfo } from '../../shared/contract/host.js';
import { writeJsonAtomic, readJson } from '../sys/atomic.js';
import type { Runner } from '../sys/runner.js';

export type AcceleratorInfo = z.infer<typeof acceleratorInfo>;

const QEMU = 'qemu-system-x86_64';
// The probe guest: 64 KiB of firmware whose reset vector does `mov al,0x2a; out 0xf4,al; hlt`.
// With isa-debug-exit on port 0xf4, QEMU exits with (0x2a << 1) | 1 = 85 once a vCPU really ran.
const PROBE_EXIT = 85;

function probeRom(): Uint8Array {
  const rom = new Uint8Array(65536).fill(0xf4);
  rom.set([0xb0, 0x2a, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd], 0xfff0);
  return rom;
}

/** Runs the probe guest under one accelerator; returns undefined on success or the reason it failed. */
async function tryAccel(runner: Runner, romPath: string, accel: 'kvm' | 'tcg'): Promise<string | undefined> {
  // KVM guests run with -cpu host, so probe exactly that: it is what fails on broken hosts.
  const cpu = accel === 'kvm' ? ['-cpu', 'host'] : [];
  const r = await runner
    .run(
      [QEMU, '-accel', accel, ...cpu, '-machine', 'q35', '-nodefaults', '-display', 'none', '-no-reboot',
        '-bios', romPath, '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04'],
      { timeoutMs: 5000, allowFailure: true },
    )
    .catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
  if (r.exitCode === PROBE_EXIT) return undefined;
  const lines = r.stderr.split('\n').filter((l) => l && !/warning:/.test(l));
  const firstError = lines[0]?.replace(/^qemu-system-x86_64: (error: )?/, '');
  return firstError || (r.exitCode === -1 ? 'the test guest hung' : `the test guest exited with ${r.exitCode}`);
}

/**
 * KVM really usable? Don't trust /dev/kvm: boot a one-instruction guest under KVM. Falls back to
 * TCG with the reason. The answer is cached per boot (and QEMU version) because a hang costs 5 s.
 */
export async function probeAccelerator(runner: Runner, runtimeDir: string, qemuVersion?: string): Promise<AcceleratorInfo> {
  if (!qemuVersion) {
    return { kind: 'none', kvmUsable: false, reason: `${QEMU} is not installed (Debian: qemu-system-x86, Arch: qemu-full)` };
  }
  const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => 'unknown')).trim();
  const cacheFile = join(runtimeDir, 'host', 'accelerator.json');
  const cached = await readJson<{ key?: string; info?: AcceleratorInfo }>(cacheFile, {}).catch(() => ({}) as { key?: string; info?: AcceleratorInfo });
  const key = `${bootId}|${qemuVersion}`;
  if (cached.key === key && cached.info) return cached.info;

  const info = await measure(runner, runtimeDir, qemuVersion);
  await writeJsonAtomic(cacheFile, { key, info }).catch(() => undefined);
  return info;
}

async function measure(runner: Runner, runtimeDir: string, qemu: string): Promise<AcceleratorInfo> {
  const romPath = join(runtimeDir, 'host', 'probe.rom');
  await mkdir(join(runtimeDir, 'host'), { recursive: true });
  await writeFile(romPath, probeRom());
  let kvmProblem: string | undefined;
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    kvmProblem = await tryAccel(runner, romPath, 'kvm');
    if (kvmProblem) kvmProblem = `KVM is present but does not work (${kvmProblem})`;
  } catch (e) {
    kvmProblem =
      (e as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'no /dev/kvm (enable VT-x/AMD-V in firmware and load kvm_intel or kvm_amd)'
        : 'no permission on /dev/kvm (add your user to the kvm group)';
  }
  if (!kvmProblem) return { kind: 'kvm', kvmUsable: true, reason: 'KVM works (a test guest ran under -cpu host)', qemu };
  const tcgProblem = await tryAccel(runner, romPath, 'tcg');
  if (tcgProblem) return { kind: 'none', kvmUsable: false, reason: `${kvmProblem}; TCG failed too (${tcgProblem})`, qemu };
  return { kind: 'tcg', kvmUsable: false, reason: `${kvmProblem}; using TCG software emulation (much slower)`, qemu };
}
