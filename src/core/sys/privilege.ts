// Capabilities of this process, and requireRoot() for the few steps only root itself does (system
// install): checked BEFORE a host change starts, so nothing is half-applied. Steps a desktop
// user may do go through the Privileged interface instead (src/core/privilege).
import { readFileSync } from 'node:fs';
import { NovaError } from '../../shared/errors.js';

/** Linux capability numbers (include/uapi/linux/capability.h) for what Nova needs. */
export const CAPS = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_KILL: 5,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_SYS_MODULE: 16,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_RESOURCE: 24,
} as const;
export type CapName = keyof typeof CAPS;

export interface Identity {
  euid: number;
  /** CapEff from /proc/self/status. */
  capEff: bigint;
}

export function parseCapEff(status: string): bigint {
  const hex = /^CapEff:\s*([0-9a-f]+)$/im.exec(status)?.[1];
  return hex ? BigInt(`0x${hex}`) : 0n;
}

export function currentIdentity(): Identity {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux, or /proc hidden: only the uid is known.
  }
  return { euid: process.geteuid?.() ?? process.getuid?.() ?? 1000, capEff: parseCapEff(status) };
}

export const hasCap = (id: Identity, cap: CapName) => (id.capEff & (1n << BigInt(CAPS[cap]))) !== 0n;

export interface RequireRootOptions {
  /** How to get it done instead (e.g. "installed by the nova package"). */
  fix?: string;
  /** Capabilities the step needs; root inside a container may lack them. */
  caps?: CapName[];
  /** Injected in tests. */
  identity?: Identity;
}

/**
 * Throws PERMISSION unless the process is root with the needed capabilities (or holds them
 * without being root). `action` reads as the subject of a sentence: "Creating bridge nova-lab".
 */
export function requireRoot(action: string, opts: RequireRootOptions = {}): void {
  const id = opts.identity ?? currentIdentity();
  const caps = opts.caps ?? [];
  const missing = caps.filter((c) => !hasCap(id, c));
  if (missing.length === 0 && (id.euid === 0 || caps.length > 0)) return;
  const fix = opts.fix ?? 'this step is done by root on the host (a root shell or a system service), not by your user';
  if (id.euid === 0) {
    throw new NovaError(
      'PERMISSION',
      `${action} needs ${missing.join(', ')}, which this root process does not have (a container or a restricted service?). Nothing was changed. Run it on the host, or grant ${missing.join(', ')}.`,
      { action, missingCaps: missing, fix: `grant ${missing.join(', ')} (e.g. --cap-add, or AmbientCapabilities= in the unit)` },
    );
  }
  throw new NovaError('PERMISSION', `${action} needs root privileges${caps.length ? ` (${caps.join(', ')})` : ''}. Nothing was changed. To fix: ${fix}`, {
    action,
    missingCaps: missing,
    fix,
  });
}

/** True when requireRoot() would pass (for UIs that grey out actions up front). */
export function isPrivileged(caps: CapName[] = [], identity: Identity = currentIdentity()): boolean {
  try {
    requireRoot('check', { caps, identity });
    return true;
  } catch {
    return false;
  }
}
