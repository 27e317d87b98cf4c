import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import { redact } from '../../shared/redact.js';
import type { EngineContext } from '../context.js';
import type { CapsuleRecord } from './records.js';
import { deriveStatus } from './status.js';
import { cgroupDelegation } from './delegation.js';
import { isRootless } from './rootless.js';
import { hostCgroups } from './runtime.js';

/** For an ordinary user without cgroup delegation: limits are not enforced, and why. */
async function limitsNote(): Promise<string | undefined> {
  if (!isRootless()) return undefined;
  const d = await cgroupDelegation(await hostCgroups());
  return d.delegated ? undefined : `limits not enforced: ${d.reason}`;
}
import type { CapsuleStatus } from './status.js';

/** The contract's view of a capsule: record + derived status; env values redacted unless asked. */
export async function capsuleInfo(engine: Pick<EngineContext, 'paths' | 'env' | 'runner'>, rec: CapsuleRecord, secrets = false, known?: CapsuleStatus): Promise<CapsuleInfo> {
  const [st, note] = await Promise.all([known ?? deriveStatus(engine, rec), limitsNote()]);
  const spec = secrets ? rec.spec : { ...rec.spec, env: redact(rec.spec.env, true) };
  return {
    name: rec.name,
    id: rec.id,
    ...(rec.project ? { project: rec.project } : {}),
    spec,
    baseDir: rec.baseDir,
    state: st.state,
    ...(st.reason ? { reason: st.reason } : {}),
    runtime: rec.runtime,
    image: { ref: rec.image.ref, ...(rec.image.digest ? { digest: rec.image.digest } : {}) },
    ...(st.pid ? { pid: st.pid } : {}),
    ...(st.startedAt && (st.state === 'running' || st.state === 'paused') ? { startedAt: st.startedAt } : {}),
    ...(st.exit ? { exit: { code: st.exit.code, at: st.exit.at, ...(st.exit.signal ? { signal: st.exit.signal } : {}), ...(st.exit.oomKilled ? { oomKilled: true } : {}) } } : {}),
    restarts: st.exit?.restarts ?? 0,
    createdAt: rec.createdAt,
    ...(isRootless() ? { rootless: true } : {}),
    ...(note ? { limitsNote: note } : {}),
    ...(rec.network ? { network: { name: rec.network.name, netns: rec.network.netns, ...(rec.network.ip ? { ip: rec.network.ip } : {}), ...(rec.network.ifname ? { ifname: rec.network.ifname } : {}), ...(rec.network.dns ? { dns: rec.network.dns } : {}) } } : {}),
  };
}

export function publishState(engine: EngineContext, info: CapsuleInfo): void {
  engine.bus.emit('capsule.state', { name: info.name, state: info.state, ...(info.reason ? { reason: info.reason } : {}), ...(info.exit ? { exitCode: info.exit.code } : {}) });
  engine.bus.emit('resource.changed', { kind: 'capsule', name: info.name, state: info.state, ...(info.reason ? { reason: info.reason } : {}) });
}
