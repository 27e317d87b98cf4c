// Prometheus /metrics for `nova serve` (prom-client): the engine's own model (host, VMs, capsules,
// switches, GPUs, tasks) read through the dispatcher at each scrape, plus every RPC's count and
// latency. Reached two ways (metrics-http.ts):
// - GET /metrics on the API server, with the same checks as the API (Host, Origin, token or the
//   app's session cookie): Prometheus sends the token as `authorization: Bearer …`;
// - `nova serve --metrics-listen [HOST:]PORT`: a second listener that serves only /metrics without
//   a token, on loopback unless an address is given (Host still checked, browsers refused).
import { readSmall } from '../core/sys/small-files.js';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../core/engine.js';
import type { CallContext } from '../core/rpc/dispatcher.js';
import type { Method, Output } from '../shared/contract.js';
import { CAPSULE_STATES } from '../shared/contract/capsule.js';
import { gpuStatus } from '../shared/contract/gpu.js';
import { networkState } from '../shared/contract/network.js';
import { taskState } from '../shared/contract/task.js';
import { VM_STATES } from '../shared/contract/vm.js';
import { Family } from './exposition.js';
import { GpuInventoryCache } from './gpu-cache.js';
import { ModelCache } from './model-cache.js';

/** Seconds: the contract's calls range from sub-millisecond reads to minutes-long starts. */
const RPC_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

const IFACE_STATS = ['rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'rx_errors', 'tx_errors'] as const;
type IfaceStats = Record<(typeof IFACE_STATS)[number], number> & { up: boolean };

/** Host-side counters of one interface from sysfs; undefined when it is not there (anymore). */
async function ifaceStats(sysfs: string, ifname: string): Promise<IfaceStats | undefined> {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(ifname)) return undefined;
  const dir = `${sysfs}/class/net/${ifname}`;
  // Synchronous: sysfs attributes never block, and seven pool round trips per interface cost more.
  const read = (f: string) => readSmall(`${dir}/${f}`)?.trim();
  const oper = read('operstate');
  const nums = oper === undefined ? [] : IFACE_STATS.map((s) => read(`statistics/${s}`));
  if (oper === undefined) return undefined;
  const out = { up: oper === 'up' || oper === 'unknown' } as IfaceStats;
  IFACE_STATS.forEach((s, i) => (out[s] = Number(nums[i] ?? 0) || 0));
  return out;
}

/** One engine's metrics: a registry, the RPC observer, and the per-scrape read of the model. */
export class NovaMetrics {
  readonly registry = new Registry();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly stopObserving: () => void;
  /** The GPU inventory between scrapes (gpu-cache.ts). */
  private readonly gpus: GpuInventoryCache;

  // The model's families are written as text (exposition.ts); prom-client keeps the rest.
  private g<L extends string>(name: string, help: string, labelNames: readonly L[]): Family<L> {
    return new Family(name, help, 'gauge', labelNames);
  }
  private c<L extends string>(name: string, help: string, labelNames: readonly L[]): Family<L> {
    return new Family(name, help, 'counter', labelNames);
  }

  // Per scrape, reset and set again: a VM that is gone leaves no stale series.
  private readonly m = {
    build: this.g('nova_build_info', 'Nova version of this engine (always 1)', ['version']),
    host: this.g('nova_host_info', 'Host facts (always 1)', ['hostname', 'os', 'kernel', 'arch', 'accelerator', 'cgroup']),
    hostCpus: this.g('nova_host_cpus', 'Logical CPUs of the host', []),
    hostMem: this.g('nova_host_memory_bytes', 'Memory of the host', []),
    hostKvm: this.g('nova_host_kvm_usable', '1 when KVM is usable, 0 when VMs fall back to TCG', []),
    collectorUp: this.g('nova_scrape_collector_success', '1 when this part of the model was read in this scrape', ['collector']),
    collectorTime: this.g('nova_scrape_collector_duration_seconds', 'Time to read this part of the model in this scrape', ['collector']),

    vmInfo: this.g('nova_vm_info', 'One series per VM (always 1)', ['vm', 'uuid', 'project', 'accelerator']),
    vmState: this.g('nova_vm_state', 'VM state: 1 for the current state, 0 for the others', ['vm', 'state']),
    vmVcpus: this.g('nova_vm_vcpus', 'vCPUs declared for the VM', ['vm']),
    vmCpu: this.c('nova_vm_cpu_seconds_total', 'CPU time of the VM\'s QEMU process (user + system)', ['vm']),
    vmMem: this.g('nova_vm_memory_bytes', 'Resident memory of the VM\'s QEMU process', ['vm']),
    vmRead: this.c('nova_vm_disk_read_bytes_total', 'Bytes the VM\'s QEMU process read from storage', ['vm']),
    vmWrite: this.c('nova_vm_disk_written_bytes_total', 'Bytes the VM\'s QEMU process wrote to storage', ['vm']),
    vmRx: this.c('nova_vm_network_receive_bytes_total', 'Bytes the VM received on a switch (its host-side interface\'s transmit counter)', ['vm', 'network', 'interface']),
    vmTx: this.c('nova_vm_network_transmit_bytes_total', 'Bytes the VM sent on a switch (its host-side interface\'s receive counter)', ['vm', 'network', 'interface']),

    capInfo: this.g('nova_capsule_info', 'One series per capsule (always 1)', ['capsule', 'id', 'project', 'image', 'runtime']),
    capState: this.g('nova_capsule_state', 'Capsule state: 1 for the current state, 0 for the others', ['capsule', 'state']),
    capRestarts: this.c('nova_capsule_restarts_total', 'Restarts by the capsule\'s restart policy', ['capsule']),
    capCpu: this.c('nova_capsule_cpu_seconds_total', 'CPU time of the capsule\'s cgroup', ['capsule']),
    capMem: this.g('nova_capsule_memory_bytes', 'Memory in use by the capsule\'s cgroup', ['capsule']),
    capMemLimit: this.g('nova_capsule_memory_limit_bytes', 'Memory limit of the capsule (absent without a limit)', ['capsule']),
    capPids: this.g('nova_capsule_pids', 'Processes in the capsule', ['capsule']),
    capOom: this.c('nova_capsule_oom_kills_total', 'Processes of the capsule killed by the OOM killer', ['capsule']),
    capRead: this.c('nova_capsule_disk_read_bytes_total', 'Bytes the capsule\'s cgroup read from block devices', ['capsule']),
    capWrite: this.c('nova_capsule_disk_written_bytes_total', 'Bytes the capsule\'s cgroup wrote to block devices', ['capsule']),
    capRx: this.c('nova_capsule_network_receive_bytes_total', 'Bytes the capsule received on a switch (its host-side interface\'s transmit counter)', ['capsule', 'network', 'interface']),
    capTx: this.c('nova_capsule_network_transmit_bytes_total', 'Bytes the capsule sent on a switch (its host-side interface\'s receive counter)', ['capsule', 'network', 'interface']),

    netInfo: this.g('nova_network_info', 'One series per switch (always 1)', ['network', 'project', 'bridge', 'subnet']),
    netState: this.g('nova_network_state', 'Switch state: 1 for the current state, 0 for the others', ['network', 'state']),
    netAttached: this.g('nova_network_attachments', 'VMs and capsules attached to the switch', ['network']),
    ifUp: this.g('nova_network_interface_up', '1 when the switch interface is up (operstate up or unknown)', ['network', 'interface']),
    ifRxBytes: this.c('nova_network_interface_receive_bytes_total', 'Bytes received by the switch interface (host side)', ['network', 'interface']),
    ifTxBytes: this.c('nova_network_interface_transmit_bytes_total', 'Bytes sent by the switch interface (host side)', ['network', 'interface']),
    ifRxPackets: this.c('nova_network_interface_receive_packets_total', 'Packets received by the switch interface (host side)', ['network', 'interface']),
    ifTxPackets: this.c('nova_network_interface_transmit_packets_total', 'Packets sent by the switch interface (host side)', ['network', 'interface']),
    ifRxErrors: this.c('nova_network_interface_receive_errors_total', 'Receive errors of the switch interface', ['network', 'interface']),
    ifTxErrors: this.c('nova_network_interface_transmit_errors_total', 'Transmit errors of the switch interface', ['network', 'interface']),

    gpuInfo: this.g('nova_gpu_info', 'One series per GPU with its bound driver (always 1)', ['gpu', 'name', 'vendor', 'driver', 'iommu_group']),
    gpuVfio: this.g('nova_gpu_vfio_bound', '1 when the GPU is bound to vfio-pci (ready for passthrough)', ['gpu']),
    gpuStatus: this.g('nova_gpu_diagnosis_state', 'GPU diagnostics: 1 for the current status, 0 for the others', ['gpu', 'status']),

    tasks: this.g('nova_tasks', 'Long-running tasks known to this engine, by state', ['state']),
  };

  private readonly rpcCalls = new Counter({
    name: 'nova_rpc_requests_total',
    help: 'Calls through the dispatcher (every face), by method, transport and outcome (OK or the error code)',
    labelNames: ['method', 'transport', 'code'],
    registers: [this.registry],
  });
  private readonly rpcTime = new Histogram({
    name: 'nova_rpc_request_duration_seconds',
    help: 'Time a call took in the dispatcher (validation, handler, output check), by method and transport',
    labelNames: ['method', 'transport'],
    buckets: RPC_BUCKETS,
    registers: [this.registry],
  });

  constructor(private readonly engine: Engine) {
    // The standard process metrics of this server (prom-client's default set also has nodejs_*
    // gauges named *_total, which promtool rejects).
    const started = Math.round(Date.now() / 1000 - process.uptime());
    new Counter({
      name: 'process_cpu_seconds_total', help: 'CPU time of the Nova process (user + system)', registers: [this.registry],
      collect() {
        const u = process.cpuUsage();
        this.reset();
        this.inc((u.user + u.system) / 1e6);
      },
    });
    new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory of the Nova process', registers: [this.registry], collect() { this.set(process.memoryUsage.rss()); } });
    new Gauge({ name: 'process_start_time_seconds', help: 'Start of the Nova process, seconds since the epoch', registers: [this.registry], collect() { this.set(started); } });
    this.gpus = new GpuInventoryCache(engine, () => this.read('gpu.list', {}));
    this.model = new ModelCache(engine, (method, input) => this.read(method, input));
    this.stopObserving = engine.dispatcher.observe((method, ms, code, ctx) => {
      if (ctx === this.own) return; // the scrape's own reads are not the clients' calls
      // Unknown names come from callers: one label value for all of them keeps the series bounded.
      const labels = { method: method ?? 'unknown', transport: ctx.transport };
      this.rpcCalls.inc({ ...labels, code: code ?? 'OK' });
      this.rpcTime.observe(labels, ms / 1000);
    });
  }

  close(): void {
    this.stopObserving();
    this.gpus.close();
    this.model.close();
  }

  /** The exposition text; scrapes run one after another so one scrape's reset never meets another's set. */
  render(): Promise<string> {
    const next = this.queue.then(() => this.scrape());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The context of the scrape's own reads, known by identity. */
  private readonly own: CallContext = { transport: 'inproc', uncheckedOutput: true };

  /** The VM and capsule lists between scrapes, read again when an event or the kernel says they changed. */
  private readonly model: ModelCache;

  private async read<M extends Method>(method: M, input: unknown): Promise<Output<M>> {
    return this.engine.dispatcher.invoke(method, input, this.own);
  }

  /** Families whose series stay from the last scrape, and the list they were written from. */
  private readonly kept = new Set<Family<string>>();
  private readonly keptFrom = new Map<'vm' | 'capsule', readonly unknown[]>();

  /**
   * True when `items` is not the list these families were last written from: they are emptied
   * to be written again. While the model cache hands out the same list, their series stay.
   */
  private listed(items: readonly unknown[], kind: 'vm' | 'capsule', families: Family<string>[]): boolean {
    if (this.keptFrom.get(kind) === items) return false;
    this.keptFrom.set(kind, items);
    for (const f of families) {
      f.reset();
      this.kept.add(f);
    }
    return true;
  }

  /** Runs one collector, recording whether it worked and how long it took. */
  private async collect(name: string, fn: () => Promise<void>): Promise<void> {
    const t = performance.now();
    let ok = 1;
    try {
      await fn();
    } catch {
      ok = 0;
    }
    this.m.collectorUp.set({ collector: name }, ok);
    this.m.collectorTime.set({ collector: name }, (performance.now() - t) / 1000);
  }

  private async scrape(): Promise<string> {
    // Series of the VM and capsule lists are kept while the lists are the same (model-cache.ts).
    for (const metric of Object.values(this.m)) if (!this.kept.has(metric)) metric.reset();
    const sysfs = this.engine.sysfsRoot;
    // Attachments by owner, filled by the network collector, read by the VM and capsule ones.
    const networks = this.read('network.list', {}).catch(() => undefined);
    const attachmentsOf = async (kind: 'vm' | 'capsule', name: string) =>
      ((await networks)?.items ?? []).flatMap((n) => n.attachments.filter((a) => a.owner.kind === kind && a.owner.name === name).map((a) => ({ network: n.name, ifname: a.ifname })));
    const guestNet = async (kind: 'vm' | 'capsule', name: string, rx: Family<string>, tx: Family<string>) => {
      for (const a of await attachmentsOf(kind, name)) {
        const s = await ifaceStats(sysfs, a.ifname);
        if (!s) continue;
        const labels = { [kind]: name, network: a.network, interface: a.ifname };
        // The host side of a TAP or veth sends what the guest receives.
        rx.inc(labels, s.tx_bytes);
        tx.inc(labels, s.rx_bytes);
      }
    };

    await Promise.all([
      this.collect('host', async () => {
        const h = await this.read('host.info', {});
        this.m.build.set({ version: h.nova.version }, 1);
        this.m.host.set({ hostname: h.hostname, os: `${h.os.id} ${h.os.version}`.trim(), kernel: h.kernel, arch: h.arch, accelerator: h.accelerator.kind, cgroup: h.cgroup.layout }, 1);
        this.m.hostCpus.set(h.cpus);
        this.m.hostMem.set(h.memoryBytes);
        this.m.hostKvm.set(h.accelerator.kvmUsable ? 1 : 0);
      }),
      this.collect('vm', async () => {
        const families = [this.m.vmInfo, this.m.vmState, this.m.vmVcpus];
        const items = await this.model.vmList().catch((e: unknown) => {
          this.listed([], 'vm', families); // a failed read shows none, as before
          throw e;
        });
        const fresh = this.listed(items, 'vm', families);
        await Promise.all(
          items.map(async (vm) => {
            const l = { vm: vm.name };
            if (fresh) {
              this.m.vmInfo.set({ ...l, uuid: vm.uuid, project: vm.project ?? '', accelerator: vm.accelerator.kind }, 1);
              for (const s of VM_STATES) this.m.vmState.set({ ...l, state: s }, vm.state === s ? 1 : 0);
              this.m.vmVcpus.set(l, vm.spec.cpu);
            }
            if (vm.pid === undefined) return;
            const st = await this.read('vm.stats', { name: vm.name }).catch(() => undefined);
            if (st) {
              this.m.vmCpu.inc(l, st.cpuTimeMs / 1000);
              this.m.vmMem.set(l, st.memoryBytes);
              this.m.vmRead.inc(l, st.ioReadBytes);
              this.m.vmWrite.inc(l, st.ioWriteBytes);
            }
            await guestNet('vm', vm.name, this.m.vmRx, this.m.vmTx);
          }),
        );
      }),
      this.collect('capsule', async () => {
        const families = [this.m.capInfo, this.m.capState, this.m.capRestarts];
        const items = await this.model.capsuleList().catch((e: unknown) => {
          this.listed([], 'capsule', families); // a failed read shows none, as before
          throw e;
        });
        const fresh = this.listed(items, 'capsule', families);
        await Promise.all(
          items.map(async (c) => {
            const l = { capsule: c.name };
            if (fresh) {
              this.m.capInfo.set({ ...l, id: c.id, project: c.project ?? '', image: c.image.ref, runtime: c.runtime }, 1);
              for (const s of CAPSULE_STATES) this.m.capState.set({ ...l, state: s }, c.state === s ? 1 : 0);
              this.m.capRestarts.inc(l, c.restarts);
            }
            if (c.state !== 'running' && c.state !== 'paused') return;
            const st = await this.read('capsule.stats', { name: c.name }).catch(() => undefined);
            if (st) {
              this.m.capCpu.inc(l, st.cpuUsageNs / 1e9);
              this.m.capMem.set(l, st.memoryBytes);
              if (st.memoryLimitBytes !== undefined) this.m.capMemLimit.set(l, st.memoryLimitBytes);
              this.m.capPids.set(l, st.pids);
              this.m.capOom.inc(l, st.oomKills);
              this.m.capRead.inc(l, st.ioReadBytes);
              this.m.capWrite.inc(l, st.ioWriteBytes);
            }
            await guestNet('capsule', c.name, this.m.capRx, this.m.capTx);
          }),
        );
      }),
      this.collect('network', async () => {
        const list = await networks;
        if (!list) throw new Error('network.list failed');
        await Promise.all(
          list.items.map(async (n) => {
            const l = { network: n.name };
            this.m.netInfo.set({ ...l, project: n.project ?? '', bridge: n.bridge, subnet: n.subnet ?? '' }, 1);
            for (const s of networkState.options) this.m.netState.set({ ...l, state: s }, n.state === s ? 1 : 0);
            this.m.netAttached.set(l, n.attached);
            await Promise.all(
              [n.bridge, ...n.attachments.map((a) => a.ifname)].map(async (ifname) => {
                const s = await ifaceStats(sysfs, ifname);
                if (!s) return;
                const il = { ...l, interface: ifname };
                this.m.ifUp.set(il, s.up ? 1 : 0);
                this.m.ifRxBytes.inc(il, s.rx_bytes);
                this.m.ifTxBytes.inc(il, s.tx_bytes);
                this.m.ifRxPackets.inc(il, s.rx_packets);
                this.m.ifTxPackets.inc(il, s.tx_packets);
                this.m.ifRxErrors.inc(il, s.rx_errors);
                this.m.ifTxErrors.inc(il, s.tx_errors);
              }),
            );
          }),
        );
      }),
      this.collect('gpu', async () => {
        const { gpus } = await this.gpus.list();
        for (const g of gpus) {
          const l = { gpu: g.address };
          this.m.gpuInfo.set({ ...l, name: g.name, vendor: g.vendor.kind, driver: g.driver ?? '', iommu_group: g.iommuGroup === undefined ? '' : String(g.iommuGroup) }, 1);
          this.m.gpuVfio.set(l, g.driver === 'vfio-pci' ? 1 : 0);
          for (const s of gpuStatus.options) this.m.gpuStatus.set({ ...l, status: s }, g.status === s ? 1 : 0);
        }
      }),
      this.collect('task', async () => {
        const { tasks } = await this.read('task.list', {});
        for (const s of taskState.options) this.m.tasks.set({ state: s }, tasks.filter((t) => t.state === s).length);
      }),
    ]);
    let model = '';
    for (const f of Object.values(this.m)) model += f.text();
    return model + (await this.registry.metrics());
  }
}

const byEngine = new WeakMap<Engine, NovaMetrics>();

/** The one NovaMetrics of an engine (the API server's /metrics and --metrics-listen share it). */
export function metricsFor(engine: Engine): NovaMetrics {
  let m = byEngine.get(engine);
  if (!m) byEngine.set(engine, (m = new NovaMetrics(engine)));
  return m;
}
