import { stat } from 'node:fs/promises';
import type { ToolInfo } from '../../shared/contract/host.js';
import { readJson, writeJsonAtomic } from '../sys/atomic.js';
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

/** Versions by binary path, valid while the file is the same one (an upgrade replaces it). */
type VersionCache = Record<string, { stamp: string; version?: string }>;

/** What changes when a package upgrade replaces a binary: device, inode, size and mtime. */
async function stampOf(path: string): Promise<string | undefined> {
  const s = await stat(path).catch(() => undefined);
  return s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}` : undefined;
}

/**
 * Every tool Nova drives, found on PATH, with its version. `--version` of eleven tools is eleven
 * processes (QEMU's alone loads ~100 libraries): ~2 s of a loaded machine before the app can show
 * the host. With `cacheFile` the versions are kept and re-asked only of binaries that changed.
 */
export async function probeTools(runner: Runner, cacheFile?: string): Promise<ToolInfo[]> {
  const cache: VersionCache = cacheFile ? await readJson<VersionCache>(cacheFile, {}).catch(() => ({})) : {};
  let changed = false;
  const tools = await Promise.all(
    TOOLS.map(async (t): Promise<ToolInfo> => {
      const base = { name: t.name, package: { debian: t.debian, arch: t.arch }, purpose: t.purpose };
      const path = await findBinary(t.name);
      if (!path) return { ...base, found: false };
      const stamp = cacheFile ? await stampOf(path) : undefined;
      const known = cache[path];
      let version = known && stamp && known.stamp === stamp ? known.version : undefined;
      if (!version) {
        const r = await runner.run([path, ...t.args], { timeoutMs: 3000, allowFailure: true }).catch(() => undefined);
        version = r ? parseVersion(`${r.stdout}\n${r.stderr}`) : undefined;
        // Only an answer is kept: a tool that timed out on a busy machine is asked again next time.
        if (stamp && version) {
          cache[path] = { stamp, version };
          changed = true;
        }
      }
      return version ? { ...base, found: true, path, version } : { ...base, found: true, path };
    }),
  );
  if (cacheFile && changed) await writeJsonAtomic(cacheFile, cache).catch(() => undefined);
  return tools;
}
