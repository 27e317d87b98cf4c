// The VMs' `nova ls` rows: what the engine's resource registry lists, and what a cold `nova ls`
// lists in-process without building an engine (src/cli/lean-list.ts). Process-level state only
// (no QMP round trips), and the accelerator only for a live VM that has no runtime record (a
// stopped VM's row does not show it): listing stopped VMs spawns nothing.
import { formatBytes } from '../../shared/sizes.js';
import type { ResourceSummary } from '../../shared/contract/resource.js';
import type { VmContext } from './context.js';
import { processState, stateReason } from './state.js';
import { listRecords, readRuntime } from './store.js';

export async function vmRows(ctx: Pick<VmContext, 'paths' | 'accelerator'>): Promise<ResourceSummary[]> {
  const recs = await listRecords(ctx.paths);
  return Promise.all(
    recs.map(async (rec) => {
      const st = await processState(ctx.paths, rec);
      const live = st.state !== 'stopped' && st.state !== 'crashed';
      const rt = live ? await readRuntime(ctx.paths, rec.name) : undefined;
      const accel = rt ? { kind: rt.accel, reason: rt.accelReason } : live ? await ctx.accelerator() : undefined;
      const reason = stateReason(st, accel);
      return {
        kind: 'vm' as const,
        name: rec.name,
        state: st.state,
        ...(reason ? { reason } : {}),
        ...(rec.project ? { project: rec.project } : {}),
        detail: `${rec.spec.cpu} vCPU · ${formatBytes(rec.spec.memory)}${accel?.kind === 'tcg' && st.state === 'running' ? ' · TCG' : ''}${rec.spec.autostart ? ' · starts at boot' : ''}`,
      };
    }),
  );
}
