// Privilege checks done BEFORE a host change starts, so an unprivileged caller gets PERMISSION
// with the exact fix and nothing is half-applied. Backends call requireRoot() first thing.
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
  /** The exact command to run instead, e.g. `sudo nova net create lab`. */
  retry?: string;
  /** Capabilities the step needs; root inside a container may lack them. */
  caps?: CapName[];
  /** Injected in tests. */
  identity?: Identity;
}

/** What the user typed, when the current process is the `nova` CLI (for the fix line). */
export function cliCommandLine(argv: readonly string[] = process.argv): string | undefined {
  const script = argv[1] ?? '';
  if (!/(^|\/)nova(\.mjs)?$/.test(script) && !/\/cli\/(index\.ts|nova\.mjs)$/.test(script)) return undefined;
  const args = argv.slice(2).map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return ['nova', ...args].join(' ');
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
  const retry = opts.retry ?? cliCommandLine();
  const fix = retry ? `sudo ${retry}` : 'sudo nova serve (then use the UI at the URL it prints), or the same step with sudo nova …';
  if (id.euid === 0) {
    throw new NovaError(
      'PERMISSION',
      `${action} needs ${missing.join(', ')}, which this root process does not have (a container or a restricted service?). Nothing was changed. Run it on the host, or grant ${missing.join(', ')}.`,
      { action, missingCaps: missing, fix: `grant ${missing.join(', ')} (e.g. --cap-add, or AmbientCapabilities= in the unit)` },
    );
  }
  throw new NovaError('PERMISSION', `${action} needs root privileges${caps.length ? ` (${caps.join(', ')})` : ''}. Nothing was changed. Run: ${fix}`, {
    action,
    missingCaps: missing,
    fix,
  });
}

/** True when requireRoot() would pass (for UIs that grey out actions up front). */
export function isPrivileged(caps: CapName[] = [], identity: Identity = currentIdentity()): boolean {
  try {
    requireRoot('check', { caps, identity, retry: 'x' });
    return true;
  } catch {
    return false;
  }
}
