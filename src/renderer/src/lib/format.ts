import { formatBytes } from '../../../shared/sizes.js';

export function bytes(n: number | undefined): string {
  return n === undefined || !Number.isFinite(n) ? '—' : formatBytes(n);
}

export const rate = (bps: number | undefined): string => (bps === undefined ? '—' : `${bytes(bps)}/s`);

export const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false });
