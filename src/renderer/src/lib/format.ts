import { formatBytes } from '../../../shared/sizes.js';

export function bytes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : formatBytes(n);
}

export const rate = (bps: number | undefined): string => (bps === undefined ? '—' : `${bytes(bps)}/s`);

export const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false });

/** Bytes for an axis tick: round steps read as "2 GiB", not "2.0 GiB". */
export const axisBytes = (n: number): string => bytes(n).replace(/\.0 /, ' ');
