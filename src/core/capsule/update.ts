import { isDeepStrictEqual } from 'node:util';
import { NovaError } from '../../shared/errors.js';
import { containerSpec } from '../../shared/schemas/novafile.js';
import type { ContainerSpec } from '../../shared/schemas/novafile.js';
import type { CapsuleInfo } from '../../shared/contract/capsule.js';
import type { EngineContext } from '../context.js';
import { capsuleInfo, publishState } from './info.js';
import { capsuleLayout } from './layout.js';
import { withCapsuleLock } from './lifecycle.js';
import { checkLimits } from './prepare.js';
import { writeQuick } from './quickfile.js';
import { getRecord, writeRecord } from './records.js';
import { runtimeArgv } from './runtime.js';
import { CPU_PERIOD_US } from './spec.js';
import { deriveStatus, runtimeOf } from './status.js';

// In-place changes the NovaFile planner can make without replacing a capsule: the restart policy
// (the supervisor re-reads it) and limits (applied live with `crun|runc update`). Lifting a limit
// entirely takes effect at the next start.

const LIVE_FIELDS = ['restart', 'limits'] as const;

export async function updateCapsule(engine: EngineContext, name: string, specIn: ContainerSpec, project?: string): Promise<CapsuleInfo> {
  const spec = containerSpec.parse(specIn);
  checkLimits(spec);
  return withCapsuleLock(engine, name, async () => {
    const rec = await getRecord(engine.paths, name);
    const fixed = (s: ContainerSpec) => Object.fromEntries(Object.entries(s).filter(([k]) => !(LIVE_FIELDS as readonly string[]).includes(k)));
    const changed = Object.keys({ ...rec.spec, ...spec }).filter(
      (k) => !(LIVE_FIELDS as readonly string[]).includes(k) && !isDeepStrictEqual((rec.spec as Record<string, unknown>)[k], (spec as Record<string, unknown>)[k]),
    );
    if (changed.length || !isDeepStrictEqual(fixed(rec.spec), fixed(spec))) {
      throw new NovaError('INVALID_INPUT', `spec.${changed[0] ?? 'spec'}: only restart and limits change in place; recreate the capsule for other fields (nova up does this)`, { fields: changed });
    }
    const st = await deriveStatus(engine, rec);
    let reason: string | undefined;
    if ((st.state === 'running' || st.state === 'paused') && !isDeepStrictEqual(rec.spec.limits, spec.limits)) {
      const { memory, cpu, pids } = spec.limits;
      const resources = {
        ...(memory !== undefined ? { memory: { limit: memory, swap: memory } } : {}),
        ...(cpu !== undefined ? { cpu: { quota: Math.round(cpu * CPU_PERIOD_US), period: CPU_PERIOD_US } } : {}),
        ...(pids !== undefined ? { pids: { limit: pids } } : {}),
      };
      const lifted = (['memory', 'cpu', 'pids'] as const).filter((k) => rec.spec.limits[k] !== undefined && spec.limits[k] === undefined);
      if (lifted.length) reason = `removing the ${lifted.join(', ')} limit applies at the next start`;
      if (Object.keys(resources).length) {
        const file = `${capsuleLayout(engine.paths, name).dir}/resources.json`;
        await writeQuick(file, JSON.stringify(resources), 0o600);
        await engine.runner.run(runtimeArgv(await runtimeOf(engine, rec), 'update', '--resources', file, rec.id));
      }
    }
    rec.spec = { ...rec.spec, restart: spec.restart, limits: spec.limits };
    if (project) rec.project = project;
    await writeRecord(engine.paths, rec);
    // A running supervisor reads its restart policy before each decision.
    await writeQuick(capsuleLayout(engine.paths, name).restartPolicy, `${spec.restart}\n`, 0o600);
    const info = await capsuleInfo(engine, rec);
    publishState(engine, info);
    return reason ? { ...info, reason } : info;
  });
}
