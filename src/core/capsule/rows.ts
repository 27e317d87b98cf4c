// The capsules' `nova ls` rows: what the engine's resource registry lists, and what a cold
// `nova ls` lists in-process without building an engine (src/cli/lean-list.ts). Needs only the
// host access below, so it loads none of the contract's schemas.
import { formatBytes } from '../../shared/sizes.js';
import type { ResourceSummary } from '../../shared/contract/resource.js';
import type { EngineContext } from '../context.js';
import { capsuleInfo } from './info.js';
import { listRecords } from './records.js';
import { deriveStatuses } from './status.js';

export type CapsuleHost = Pick<EngineContext, 'paths' | 'env' | 'runner'>;

export async function capsuleRows(engine: CapsuleHost): Promise<ResourceSummary[]> {
  const recs = await listRecords(engine.paths);
  const statuses = await deriveStatuses(engine, recs);
  return Promise.all(
    recs.map(async (r, n) => {
      const i = await capsuleInfo(engine, r, false, statuses[n]);
      const lim = r.spec.limits;
      const detail = [
        r.image.ref.replace(/^docker\.io\/(library\/)?/, ''),
        (i.state === 'exited' || i.state === 'crashed') && i.exit ? `exit ${i.exit.code}` : undefined,
        lim.cpu ? `${lim.cpu} CPU` : undefined,
        lim.memory ? formatBytes(lim.memory) : undefined,
        r.network?.ip ? `${r.network.name} ${r.network.ip}` : undefined,
        i.rootless ? 'rootless' : undefined,
        i.limitsNote ? 'limits not enforced' : undefined,
        r.spec.autostart ? 'starts at boot' : undefined,
      ].filter(Boolean);
      return { kind: 'capsule' as const, name: r.name, state: i.state, ...(i.reason ? { reason: i.reason } : {}), ...(r.project ? { project: r.project } : {}), detail: detail.join(' · ') };
    }),
  );
}
