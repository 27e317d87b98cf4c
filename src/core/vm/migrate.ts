// Live migration over QMP. The destination QEMU starts with `-incoming defer` and then
// `migrate-incoming URI`; the source runs `migrate` and Nova polls `query-migrate` into task
// progress. `home:/path` migrates to another Nova home on this machine (shared storage: both
// sides use the same disk files; QEMU hands over the image locks at switch-over).
import { writeFile } from 'node:fs/promises';
import { NovaError } from '../../shared/errors.js';
import type { VmInfo } from '../../shared/contract/vm.js';
import type { VmSpec } from '../../shared/schemas/novafile.js';
import { resolvePaths } from '../sys/paths.js';
import type { VmContext } from './context.js';
import { vmInfoOf } from './info.js';
import { createVm, updateVm } from './lifecycle.js';
import { clearRuntime, publish, startVm, vmLock } from './power.js';
import { migrate, migrateCancel, migrateIncoming, queryMigrate, queryStatus, quit } from './qmp/commands.js';
import { withQmp } from './qmp/protocol.js';
import { freeLoopbackPort, waitForExit } from './process.js';
import { deriveState, livePid, markerPath } from './state.js';
import { liveStateBlocker } from './share-guard.js';
import { absolutize, findRecord, layoutOf, loadRecord, readRuntime } from './store.js';
import type { VmRecord } from './store.js';

export interface ReceiveInput {
  name: string;
  spec: VmSpec;
  listen: string;
  project?: string;
  baseDir?: string;
  uuid?: string;
  mac?: string;
}

/** Destination side: define (or redefine) the VM, start QEMU waiting for the stream. */
export async function receiveVm(ctx: VmContext, input: ReceiveInput): Promise<VmInfo> {
  const existing = await findRecord(ctx.paths, input.name);
  if (existing) await updateVm(ctx, input);
  else await createVm(ctx, input);
  await startVm(ctx, input.name, { incoming: input.listen });
  await withQmp(layoutOf(ctx.paths, input.name).qmp, (q) => migrateIncoming(q, input.listen));
  const rec = await loadRecord(ctx.paths, input.name);
  return vmInfoOf(ctx, rec);
}

/** A spec with absolute paths, so it means the same thing from another Nova home. */
function portableSpec(rec: VmRecord): VmSpec {
  const s = structuredClone(rec.spec);
  const abs = (p: string) => absolutize(rec.baseDir, p);
  if (s.image) s.image = rec.overlays?.disk0 ?? abs(s.image);
  const offset = s.image ? 1 : 0;
  s.disks = s.disks.map((d, i) => {
    const overlay = rec.overlays?.[`disk${i + offset}`];
    if (typeof d === 'string') return overlay ?? abs(d);
    const { size: _size, ...rest } = d;
    return { ...rest, path: overlay ?? abs(d.path), ...(overlay ? { format: 'qcow2' as const } : {}) };
  });
  for (const k of ['kernel', 'initrd'] as const) if (s[k]) s[k] = abs(s[k]);
  if (s.iso) s.iso = Array.isArray(s.iso) ? s.iso.map(abs) : abs(s.iso);
  s.restart = 'no'; // the destination's policy is the user's call once it has arrived
  return s;
}

export interface MigrateResult {
  name: string;
  to: string;
  totalMs: number;
  downtimeMs?: number;
  transferredBytes?: number;
}

/** Builds the VM backend context of another Nova home on this machine. */
export type ContextForHome = (home: string) => VmContext;

export async function migrateVm(ctx: VmContext, name: string, to: string, otherHome: ContextForHome, signal?: AbortSignal): Promise<MigrateResult> {
  const rec = await loadRecord(ctx.paths, name);
  const st = await deriveState(ctx.paths, rec);
  if (st.state !== 'running' && st.state !== 'paused') throw new NovaError('CONFLICT', `VM ${name} is ${st.state}; only a running VM can be live-migrated`);
  // Before anything is made on the destination.
  const blocked = liveStateBlocker(name, await readRuntime(ctx.paths, name), 'migrate');
  if (blocked) throw blocked;
  let uri = to;
  if (to.startsWith('home:')) {
    const home = to.slice('home:'.length);
    const dest = otherHome(home);
    if (dest.paths.data === ctx.paths.data) throw new NovaError('INVALID_INPUT', 'to: that is this Nova home; pick another one');
    uri = `tcp:127.0.0.1:${await freeLoopbackPort()}`;
    await receiveVm(dest, { name, spec: portableSpec(rec), listen: uri, uuid: rec.uuid, mac: rec.mac, baseDir: rec.baseDir, ...(rec.project ? { project: rec.project } : {}) });
  }
  return ctx.tasks.run(`migrate VM ${name} → ${to}`, async (task) =>
    vmLock(ctx, name, async () => {
      const qmpPath = layoutOf(ctx.paths, name).qmp;
      const t0 = performance.now();
      await withQmp(qmpPath, (q) => migrate(q, uri));
      for (;;) {
        const info = await withQmp(qmpPath, queryMigrate);
        if (info.status === 'completed') {
          await withQmp(qmpPath, async (q) => {
            const s = await queryStatus(q);
            if (s.status === 'postmigrate') await quit(q);
          });
          const pid = await livePid(ctx.paths, rec);
          if (pid) await waitForExit(pid, 10_000);
          await clearRuntime(ctx, rec);
          await writeFile(markerPath(ctx.paths, name, 'migrated'), `${to}\n`);
          await writeFile(markerPath(ctx.paths, name, 'user-stop'), 'migrated\n');
          publish(ctx, name, 'stopped', `migrated to ${to}`);
          return {
            name, to, totalMs: info['total-time'] ?? performance.now() - t0,
            ...(info.downtime !== undefined ? { downtimeMs: info.downtime } : {}),
            ...(info.ram ? { transferredBytes: info.ram.transferred } : {}),
          };
        }
        if (info.status === 'failed' || info.status === 'cancelled') {
          throw new NovaError('INTERNAL', `migration of ${name} ${info.status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}; the VM keeps running here`);
        }
        if (task.signal.aborted || signal?.aborted) {
          await withQmp(qmpPath, migrateCancel).catch(() => undefined);
          throw new NovaError('CANCELLED', `migration of ${name} cancelled; the VM keeps running here`);
        }
        const ram = info.ram;
        task.progress(ram && ram.total > 0 ? Math.min(0.99, ram.transferred / ram.total) : null, info.status ?? 'starting');
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 'migrate'),
  );
}

export const homeContextPaths = (home: string) => resolvePaths({ NOVA_HOME: home });
