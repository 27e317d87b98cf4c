import type { GpuActionResult, GpuInfo } from '../../shared/contract/gpu.js';
import { NovaError } from '../../shared/errors.js';
import type { EventBus } from '../rpc/bus.js';
import type { NovaPaths } from '../sys/paths.js';
import { GpuClaims } from './claims.js';
import { planUnit, runBulk } from './actions.js';
import type { Action, PlanOptions } from './actions.js';
import { directDeviceOps } from './device-ops.js';
import type { DeviceOps } from './device-ops.js';
import { diagnose } from './diagnostics.js';
import type { DiagnoseContext } from './diagnostics.js';
import { isBridgeClass } from './ids.js';
import { buildInventory, slotOf } from './inventory.js';
import type { GpuInventoryEntry } from './inventory.js';
import { hostPciIds } from './pciids.js';
import { scanPci } from './scanner.js';
import type { PciScan } from './scanner.js';
import { PCI_ADDRESS_RE } from './sysfs.js';
import type { SysfsWriter } from './writer.js';

export interface GpuServiceOptions {
  root: string;
  paths: NovaPaths;
  bus?: EventBus;
  /** Tests: this process writes through this writer itself (the fixture kernel, to watch every write). */
  writer?: SysfsWriter;
  writeTimeoutMs?: number;
  linkTimeoutMs?: number;
  /**
   * Who does the privileged steps: the engine's Privileged interface (this process when it holds
   * the rights, `nova privd` otherwise). Default: this process, with `writer`.
   */
  devices?: () => DeviceOps;
}

export type GpuWithDiagnostics = GpuInventoryEntry & Pick<GpuInfo, 'status' | 'checks'>;

/** The GPU area's engine side: inventory + diagnostics on demand, VFIO actions through DeviceOps. */
export class GpuService {
  readonly root: string;
  readonly claims: GpuClaims;
  private readonly devices: () => DeviceOps;

  constructor(private opts: GpuServiceOptions) {
    this.root = opts.root;
    this.claims = GpuClaims.in(opts.paths.data);
    let own: DeviceOps | undefined;
    this.devices = opts.devices ?? (() => (own ??= directDeviceOps({ root: opts.root, paths: opts.paths, ...pick(opts) })));
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

  async act(action: Action, addresses: string[], opts: PlanOptions & { timeoutMs?: number } = {}): Promise<{ results: GpuActionResult[]; ok: boolean }> {
    const ops = this.devices();
    const { scan } = await this.scan();
    // Planned here to report per address and run each unit once; the doer plans again under its lock.
    const run = (unit: { gpu: string }) => ops.act(action, unit.gpu, opts);
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

  /** A VM let go of its GPUs but they stay on vfio-pci: /dev/vfio/N goes back to root. */
  async release(address: string): Promise<void> {
    await this.devices().release(address);
  }
}

const pick = (o: GpuServiceOptions) => ({
  ...(o.writer ? { writer: o.writer } : {}),
  ...(o.writeTimeoutMs ? { writeTimeoutMs: o.writeTimeoutMs } : {}),
  ...(o.linkTimeoutMs ? { linkTimeoutMs: o.linkTimeoutMs } : {}),
});
