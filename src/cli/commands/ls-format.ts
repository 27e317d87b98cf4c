import type { ResourceSummary } from '../../shared/contract/resource.js';
import { table } from '../output.js';

/** `nova ls` in human form; shared by the full CLI and the local-socket fast path (src/cli/fast.ts). */
export function formatResourceList(v: { items: readonly ResourceSummary[] }): string {
  return v.items.length === 0
    ? 'No resources yet. Declare some in a NovaFile and run `nova up`, or `nova net create`.'
    : table(v.items, [
        { header: 'NAME', get: (i) => i.name },
        { header: 'KIND', get: (i) => i.kind },
        { header: 'STATE', get: (i) => i.state },
        { header: 'PROJECT', get: (i) => i.project },
        { header: 'DETAIL', get: (i) => [i.detail, i.reason].filter(Boolean).join(' — ') || undefined },
      ]);
}
