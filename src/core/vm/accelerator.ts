// The accelerator VMs get (KVM or TCG and why): the same answer as host.info's (same per-boot
// cache file) without probing every other host tool, asked once per engine and only when
// something needs it (a start, a VM's info; not a stopped VM's `nova ls` row).
import type { EngineContext } from '../context.js';
import { probeAccelerator } from '../host/accelerator.js';
import { parseVersion } from '../host/tools.js';
import { QEMU_BINARY } from './config/build.js';
import type { AccelFacts } from './context.js';

export function acceleratorOnce(engine: Pick<EngineContext, 'runner' | 'paths'>): () => Promise<AccelFacts> {
  let accel: Promise<AccelFacts> | undefined;
  return () => {
    accel ??= (async () => {
      const r = await engine.runner.run([QEMU_BINARY, '--version'], { timeoutMs: 10_000, allowFailure: true }).catch(() => undefined);
      const version = r && r.exitCode === 0 ? (parseVersion(r.stdout) ?? 'unknown') : undefined;
      const a = await probeAccelerator(engine.runner, engine.paths.runtime, version);
      return { kind: a.kind, reason: a.reason };
    })();
    accel.catch(() => (accel = undefined));
    return accel;
  };
}
