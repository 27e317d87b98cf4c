// Builds the VmInfo every procedure returns: record + derived state + runtime facts.
import { consolePath } from '../../shared/bridge.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import type { VmContext } from './context.js';
import { vmFeatures } from './config/features.js';
import { consoleTail, firmwareBootFailure } from './firmware-boot.js';
import { deriveState, processState, stateReason } from './state.js';
import type { DerivedState } from './state.js';
import { nicInfos } from './nics.js';
import { declaredNics } from './nic-spec.js';
import { shareInfos } from './shares.js';
import { layoutOf, readRuntime, resolveDisks } from './store.js';
import type { VmRecord } from './store.js';

export async function vmInfoOf(ctx: VmContext, rec: VmRecord, opts: { cheap?: boolean; state?: DerivedState } = {}): Promise<VmInfo> {
  const st = opts.state ?? (opts.cheap ? await processState(ctx.paths, rec) : await deriveState(ctx.paths, rec));
  const live = st.state !== 'stopped' && st.state !== 'crashed';
  const rt = live ? await readRuntime(ctx.paths, rec.name) : undefined;
  const accel = rt ? { kind: rt.accel, reason: rt.accelReason } : await ctx.accelerator();
  const layout = layoutOf(ctx.paths, rec.name);
  const f = vmFeatures(rec.spec);
  // A running UEFI VM stuck in its firmware says why (a full inspect only: lists stay cheap).
  const stuck = !opts.cheap && st.state === 'running' && f.uefi ? firmwareBootFailure(await consoleTail(layout.serialLog), f.secureBoot) : undefined;
  const reason = stuck ?? stateReason(st, accel);
  const first = declaredNics(rec, f.windows)[0];
  const nics = nicInfos(rec, rt);
  return {
    name: rec.name,
    uuid: rec.uuid,
    ...(rec.project ? { project: rec.project } : {}),
    spec: rec.spec,
    baseDir: rec.baseDir,
    state: st.state,
    ...(reason ? { reason } : {}),
    ...(st.pid ? { pid: st.pid } : {}),
    accelerator: accel,
    mac: rec.mac,
    ...(rt && live ? { console: { path: consolePath(rec.name), vncSocket: layout.vncSocket } } : {}),
    serialLog: layout.serialLog,
    disks: resolveDisks(rec).map((d) => ({ path: d.path, format: d.format, node: d.node })),
    nic: rt?.nic ?? (!first ? { kind: 'none' } : first.network === 'user' ? { kind: 'user' } : { kind: 'tap', network: first.network }),
    ...(nics.length ? { nics } : {}),
    ...(rt?.usb?.length ? { usb: rt.usb.map((u) => ({ id: u.id, bus: u.bus, address: u.address, port: u.port })) } : {}),
    ...(rec.spec.shares?.length ? { shares: shareInfos(ctx.paths, rec, rt?.shares) } : {}),
    tpm: f.tpm,
    uefi: f.uefi,
    secureBoot: f.secureBoot,
    createdAt: rec.createdAt,
  };
}
