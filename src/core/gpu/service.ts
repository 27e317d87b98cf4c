import type { GpuActionResult, GpuInfo } from '../../shared/contract/gpu.js';
import { NovaError } from '../../shared/errors.js';
import type { EventBus } from '../rpc/bus.js';
import { withLock } from '../sys/lock.js';
import { requireRoot } from '../sys/privilege.js';
import { lockPath } from '../sys/paths.js';
import type { NovaPaths } from '../sys/paths.js';
import { GpuClaims } from './claims.js';
import { bindUnit, OriginalDrivers, planUnit, reattachUnit, resetUnit, runBulk, unbindUnit } from './actions.js';
import type { Action, PlanOptions, Unit } from './actions.js';
import { diagnose } from './diagnostics.js';
import type { DiagnoseContext } from './diagnostics.js';
import { FixtureKernel } from './fixtures/fake-kernel.js';
import { isBridgeClass } from './ids.js';
import { buildInventory, slotOf } from './inventory.js';
import type { GpuInventoryEntry } from './inventory.js';
import { hostPciIds } from './pciids.js';
import { scanPci } from './scanner.js';
import type { PciScan } from './scanner.js';
import { PCI_ADDRESS_RE } from './sysfs.js';
import type { StepContext } from './vfio-steps.js';
import { realSysfsWriter } from './writer.js';
import type { SysfsWriter } from './writer.js';

export interface GpuServiceOptions {
  root: string;
  paths: NovaPaths;
  bus?: EventBus;
  /** Default: the fixture kernel when `root` is a fixture tree, else real sysfs writes. */
  writer?: SysfsWriter;
  writeTimeoutMs?: number;
  linkTimeoutMs?: number;
  /** Whether we may write to a real /sys (root); injectable for tests. */
  isRoot?: () => boolean;
}

export type GpuWithDiagnostics = GpuInventoryEntry & Pick<GpuInfo, 'status' | 'checks'>;

/** The GPU area's engine side: inventory + diagnostics on demand, VFIO actions under locks. */
export class GpuService {
  readonly root: string;
  readonly writer: SysfsWriter;
  private memo: OriginalDrivers;
  readonly claims: GpuClaims;

  constructor(private opts: GpuServiceOptions) {
    this.root = opts.root;
    this.writer = opts.writer ?? (FixtureKernel.marker(opts.root) ? new FixtureKernel(opts.root) : realSysfsWriter());
    this.memo = OriginalDrivers.in(opts.paths.data);
    this.claims = GpuClaims.in(opts.paths.data);
  }

  async scan(ctx: DiagnoseContext = {}): Promise<{ scan: PciScan; gpus: GpuWithDiagnostics[] }> {
    const [scan, ids, claims] = await Promise.all([scanPci(this.root), hostPciIds(), this.claims.byDevice().catch(() => new Map<string, string>())]);
    const gpus = buildInventory(scan, ids).map((g) => {
      const vm = claims.get(g.address);
      return { ...g, ...(vm ? { claimedBy: vm } : {}), ...diagnose(g, scan.host, ctx, this.busNeighbours(scan, g.address)) };
    });
    return { scan, gpus };
  }

  /** Endpoints on the GPU's bus outside its slot: a bus reset hits them too. */
  private busNeighbours(scan: PciScan, addr: string): number {
    const bus = addr.slice(0, 7);
    return [...scan.devices.values()].filter((d) => d.address.startsWith(bus) && slotOf(d.address) !== slotOf(addr) && !isBridgeClass(d.classCode)).length;
  }

  async list(ctx: DiagnoseContext = {}) {
    const { scan, gpus } = await this.scan(ctx);
    return { gpus, iommu: { enabled: scan.host.iommu.enabled, groups: scan.host.iommu.groups.size, cmdline: scan.host.iommu.cmdline } };
  }

  /** By address (short form ok) or by a unique piece of the name ("5090", "rx 6800 xt"). */
  async find(id: string, ctx: DiagnoseContext = {}): Promise<GpuWithDiagnostics> {
    const { gpus } = await this.scan(ctx);
    const addr = /^[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/i.test(id) ? `0000:${id.toLowerCase()}` : id.toLowerCase();
    if (PCI_ADDRESS_RE.test(addr)) {
      const g = gpus.find((x) => x.address === addr);
      if (!g) throw new NovaError('NOT_FOUND', `no GPU at ${addr}`, { id, fix: `GPUs here: ${gpus.map((x) => x.address).join(', ') || 'none'}` });
      return g;
    }
    const matches = gpus.filter((g) => g.name.toLowerCase().includes(addr));
    const exact = matches.filter((g) => g.name.toLowerCase().endsWith(addr));
    const pick = matches.length === 1 ? matches : exact;
    if (pick.length === 1) return pick[0]!;
    if (matches.length === 0) throw new NovaError('NOT_FOUND', `no GPU named like "${id}"`, { id, fix: `GPUs here: ${gpus.map((g) => `${g.address} ${g.name}`).join('; ') || 'none'}` });
    throw new NovaError('INVALID_INPUT', `"${id}" matches ${matches.length} GPUs: ${matches.map((g) => `${g.address} ${g.name}`).join('; ')}`, { id, fix: 'use the PCI address' });
  }

  private stepContext(action: Action, addresses: string[], timeoutMs?: number): StepContext {
    return {
      root: this.root,
      writer: this.writer,
      writeTimeoutMs: timeoutMs ?? this.opts.writeTimeoutMs ?? 10_000,
      linkTimeoutMs: timeoutMs ?? this.opts.linkTimeoutMs ?? 10_000,
      command: `nova gpu ${action} ${addresses.join(' ')}`,
    };
  }

  private ensureWritable(action: Action, addresses: string[]): void {
    if (this.writer.simulated) return;
    const identity = this.opts.isRoot ? { euid: this.opts.isRoot() ? 0 : 1000, capEff: 0n } : undefined;
    const verb = { bind: 'Binding', unbind: 'Unbinding', reattach: 'Reattaching', reset: 'Resetting' }[action];
    requireRoot(`${verb} ${addresses.join(', ')} (writes to /sys/bus/pci)`, { fix: 'VFIO binding is done by root on the host in this build (Nova running as root, e.g. `nova serve` as a system service); through nova privd it is not available yet', ...(identity ? { identity } : {}) });
  }

  async act(action: Action, addresses: string[], opts: PlanOptions & { timeoutMs?: number } = {}): Promise<{ results: GpuActionResult[]; ok: boolean }> {
    this.ensureWritable(action, addresses);
    const ctx = this.stepContext(action, addresses, opts.timeoutMs);
    let { scan } = await this.scan();
    const run = async (unit: Unit) =>
      withLock(lockPath(this.opts.paths, 'gpu', unit.gpu.replace(/:/g, '-')), async () => {
        scan = (await this.scan()).scan; // fresh state under the lock
        switch (action) {
          case 'bind':
            return bindUnit(ctx, planUnit(scan, unit.gpu, 'bind', opts), this.memo);
          case 'unbind':
            return unbindUnit(ctx, unit, this.memo);
          case 'reattach':
            return reattachUnit(ctx, unit, this.memo);
          case 'reset':
            return resetUnit(ctx, unit, scan, Boolean(opts.force));
        }
      }, { holder: ctx.command, timeoutMs: 15_000 });
    const describe = (moved: GpuActionResult['devices']) => {
      const parts = moved.map((m) =>
        action === 'reset' ? `${m.address} reset` : !m.from && !m.to ? `${m.address} already unbound` : `${m.address} ${m.from ?? 'unbound'} → ${m.to ?? 'unbound'}`,
      );
      return parts.join(', ') || 'nothing to do';
    };
    const out = await runBulk(addresses, (a) => planUnit(scan, a, action, opts), run, describe);
    for (const r of out.results) {
      for (const d of r.devices.length ? r.devices : [{ address: r.address }]) {
        this.opts.bus?.emit('gpu.changed', { address: d.address, action, ok: r.ok, ...('to' in d && d.to ? { driver: d.to } : {}) });
      }
    }
    return out;
  }
}
