import type { ToolInfo } from '../../shared/contract/host.js';
import type { Runner } from '../sys/runner.js';
import { findBinary } from '../sys/which.js';

interface ToolSpec {
  name: string;
  args: string[];
  debian: string;
  arch: string;
  purpose: string;
}

// The host tools Nova drives, with the package that provides each on Debian and Arch.
export const TOOLS: ToolSpec[] = [
  { name: 'qemu-system-x86_64', args: ['--version'], debian: 'qemu-system-x86', arch: 'qemu-full', purpose: 'virtual machines' },
  { name: 'qemu-img', args: ['--version'], debian: 'qemu-utils', arch: 'qemu-img', purpose: 'VM disks and snapshots' },
  { name: 'swtpm', args: ['--version'], debian: 'swtpm', arch: 'swtpm', purpose: 'TPM 2.0 for Windows 11' },
  { name: 'crun', args: ['--version'], debian: 'crun', arch: 'crun', purpose: 'capsule runtime' },
  { name: 'runc', args: ['--version'], debian: 'runc', arch: 'runc', purpose: 'capsule runtime (fallback)' },
  { name: 'skopeo', args: ['--version'], debian: 'skopeo', arch: 'skopeo', purpose: 'image pulls' },
  { name: 'umoci', args: ['--version'], debian: 'umoci', arch: 'umoci', purpose: 'image unpacking' },
  { name: 'ip', args: ['-V'], debian: 'iproute2', arch: 'iproute2', purpose: 'bridges, TAP, veth' },
  { name: 'nft', args: ['--version'], debian: 'nftables', arch: 'nftables', purpose: 'NAT and port forwards' },
  { name: 'dnsmasq', args: ['--version'], debian: 'dnsmasq-base', arch: 'dnsmasq', purpose: 'DHCP and DNS' },
  { name: 'tcpdump', args: ['--version'], debian: 'tcpdump', arch: 'tcpdump', purpose: 'packet capture' },
];

/** The first line that looks like a version: "QEMU emulator version 7.2.19" → "7.2.19". */
export function parseVersion(text: string): string | undefined {
  const m = /(\d+\.\d+(?:\.\d+)?(?:[-+~.][\w.]+)?)/.exec(text);
  return m?.[1];
}

export async function probeTools(runner: Runner): Promise<ToolInfo[]> {
  return Promise.all(
    TOOLS.map(async (t): Promise<ToolInfo> => {
      const base = { name: t.name, package: { debian: t.debian, arch: t.arch }, purpose: t.purpose };
      const path = await findBinary(t.name);
      if (!path) return { ...base, found: false };
      const r = await runner.run([path, ...t.args], { timeoutMs: 3000, allowFailure: true }).catch(() => undefined);
      const version = r ? parseVersion(`${r.stdout}\n${r.stderr}`) : undefined;
      return version ? { ...base, found: true, path, version } : { ...base, found: true, path };
    }),
  );
}
