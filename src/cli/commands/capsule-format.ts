// How `nova capsule …` and `nova image …` print: tables, the detail view, stats.
import type { CapsuleInfo, ImageInfo } from '../../shared/contract/capsule.js';
import { formatBytes } from '../../shared/sizes.js';
import { details, table } from '../output.js';

export const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.round(s / 60)}m` : s < 86400 ? `${Math.round(s / 3600)}h` : `${Math.round(s / 86400)}d`;
};

export function stateText(c: CapsuleInfo): string {
  if (c.state === 'running' && c.startedAt) return `running (${ago(c.startedAt)})`;
  if ((c.state === 'exited' || c.state === 'crashed') && c.exit) return `${c.state} (${c.exit.signal ?? c.exit.code}${c.exit.oomKilled ? ', OOM' : ''}) ${ago(c.exit.at)} ago`;
  return c.state;
}

export const capsuleTable = (items: CapsuleInfo[]) =>
  items.length === 0
    ? 'No capsules. Create one: nova capsule run NAME --image busybox -- sleep 1d'
    : table(items, [
        { header: 'NAME', get: (c) => c.name },
        { header: 'STATE', get: stateText },
        { header: 'IMAGE', get: (c) => c.image.ref.replace(/^docker\.io\/(library\/)?/, '') },
        { header: 'RUNTIME', get: (c) => c.runtime },
        { header: 'PROJECT', get: (c) => c.project },
        { header: 'NETWORK', get: (c) => (c.network ? `${c.network.name}${c.network.ip ? ` ${c.network.ip}` : ''}` : undefined) },
      ]);

export function capsuleDetail(c: CapsuleInfo): string {
  const rows: [string, string | undefined][] = [
    ['Name', `${c.name} (${c.id})`],
    ['State', `${stateText(c)}${c.reason ? ` — ${c.reason}` : ''}`],
    ['Image', `${c.image.ref}${c.image.digest ? ` ${c.image.digest.slice(0, 19)}` : ''}`],
    ['Runtime', c.runtime],
    ['PID', c.pid?.toString()],
    ['Command', c.spec.command === undefined ? '(image default)' : [c.spec.command].flat().join(' ')],
    ['Env', Object.keys(c.spec.env).join(', ') || undefined],
    ['Volumes', c.spec.volumes.join(', ') || undefined],
    ['Limits', Object.entries(c.spec.limits).map(([k, v]) => `${k}=${k === 'memory' ? formatBytes(v as number) : JSON.stringify(v)}`).join(' ') || undefined],
    ['Network', c.network ? `${c.network.name} ${c.network.ip ?? ''}` : (c.spec.network ?? 'default (pasta for a user\'s capsule, loopback only for root\'s)')],
    ['Restart', `${c.spec.restart}${c.restarts ? ` (${c.restarts} restarts)` : ''}`],
    ['Project', c.project],
  ];
  return details(rows);
}

export const imageTable = (items: ImageInfo[]) =>
  items.length === 0
    ? 'No images. Pull one: nova image pull busybox'
    : table(items, [
        { header: 'IMAGE', get: (i) => i.ref },
        { header: 'DIGEST', get: (i) => i.digest.slice(7, 19) },
        { header: 'SIZE', get: (i) => formatBytes(i.sizeBytes), align: 'right' },
        { header: 'LAYERS', get: (i) => i.layers, align: 'right' },
        { header: 'SOURCE', get: (i) => i.source },
        { header: 'USED BY', get: (i) => i.usedBy.join(', ') || undefined },
      ]);

export const snapTable = (items: { tag: string; createdAt: number; sizeBytes: number }[]): string =>
  items.length === 0 ? 'No snapshots.' : table(items, [
    { header: 'TAG', get: (s) => s.tag },
    { header: 'CREATED', get: (s) => new Date(s.createdAt).toISOString() },
    { header: 'SIZE', get: (s) => formatBytes(s.sizeBytes), align: 'right' },
  ]);
