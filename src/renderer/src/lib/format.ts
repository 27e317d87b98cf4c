export function bytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export const rate = (bps: number | undefined): string => (bps === undefined ? '—' : `${bytes(bps)}/s`);

export const clock = (at: number): string => new Date(at).toLocaleTimeString([], { hour12: false });
