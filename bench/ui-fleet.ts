// Bench-only engine module: a fleet of synthetic VMs, capsules and networks, served through the
// same procedures the renderer's views call on a real engine — `resource.list` rows (dashboard
// counts, topology nodes) and `vm.list` / `capsule.list` / `network.list` (the network list's
// attachments are the topology's edges). Output passes the contract's schemas like any backend's.
// Only bench/ui.bench.ts registers it, in its own in-process server; the product never does.
import type { Engine, EngineModule } from '../src/core/engine.js';
import type { CapsuleInfo } from '../src/shared/contract/capsule.js';
import type { NetworkInfo } from '../src/shared/contract/network.js';
import type { ResourceSummary } from '../src/shared/contract/resource.js';
import type { VmInfo } from '../src/shared/contract/vm.js';
import { containerSpec, networkSpec, vmSpec } from '../src/shared/schemas/novafile.js';
import { formatBytes } from '../src/shared/sizes.js';

export interface FleetSize {
  vms: number;
  capsules: number;
  networks: number;
}

interface Fleet {
  vms: VmInfo[];
  capsules: CapsuleInfo[];
  networks: NetworkInfo[];
}

const PROJECT = 'bench';
const CREATED = Date.UTC(2026, 0, 1);
const mac = (prefix: string, i: number) => `${prefix}:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

/** Instances are spread round-robin over the networks (none attached when there are none). */
function buildFleet(size: FleetSize): Fleet {
  const netOf = (i: number) => (size.networks > 0 ? `net${i % size.networks}` : undefined);
  const vms: VmInfo[] = Array.from({ length: size.vms }, (_, i) => {
    const network = netOf(i);
    return {
      name: `vm-${i}`,
      uuid: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      project: PROJECT,
      spec: vmSpec.parse({ image: `/var/lib/nova/bench/vm-${i}.qcow2`, cpu: 2, memory: 1024 ** 3, ...(network ? { network } : {}) }),
      baseDir: '/var/lib/nova/bench',
      state: i % 3 ? 'running' : 'stopped',
      accelerator: { kind: 'tcg', reason: 'bench fleet' },
      mac: mac('52:54:00', i),
      serialLog: `/var/lib/nova/bench/vm-${i}.serial.log`,
      disks: [{ path: `/var/lib/nova/bench/vm-${i}.qcow2`, format: 'qcow2', node: 'disk0' }],
      nic: network ? { kind: 'tap', network, ifname: `nvt${i}` } : { kind: 'user' },
      tpm: false,
      uefi: false,
      secureBoot: false,
      createdAt: CREATED,
    };
  });
  const capsules: CapsuleInfo[] = Array.from({ length: size.capsules }, (_, i) => {
    const network = netOf(size.vms + i);
    return {
      name: `capsule-${i}`,
      id: `bench${i.toString(16).padStart(12, '0')}`,
      project: PROJECT,
      spec: containerSpec.parse({ capsule: 'docker.io/library/alpine:3.20', ...(network ? { network } : {}) }),
      baseDir: '/var/lib/nova/bench',
      state: i % 4 ? 'running' : 'exited',
      runtime: 'crun',
      image: { ref: 'docker.io/library/alpine:3.20' },
      restarts: 0,
      createdAt: CREATED,
      ...(network ? { network: { name: network, netns: `/run/netns/nova-bench-${i}` } } : {}),
    };
  });
  const networks: NetworkInfo[] = Array.from({ length: size.networks }, (_, n) => {
    const name = `net${n}`;
    const attachments = [
      ...vms.filter((v) => v.nic.network === name).map((v) => ({ owner: { kind: 'vm' as const, name: v.name }, ifname: v.nic.ifname!, mac: v.mac, attached: v.state === 'running' })),
      ...capsules
        .filter((c) => c.network?.name === name)
        .map((c, j) => ({ owner: { kind: 'capsule' as const, name: c.name }, ifname: `nvc${n}-${j}`, mac: mac('02:00:00', n * 4096 + j), attached: c.state === 'running', netns: c.network!.netns })),
    ];
    return {
      name,
      project: PROJECT,
      spec: networkSpec.parse({ subnet: `10.213.${n}.0/24` }),
      state: 'Active',
      bridge: `nvb-${name}`,
      subnet: `10.213.${n}.0/24`,
      gateway: `10.213.${n}.1`,
      domain: 'nova',
      attached: attachments.filter((a) => a.attached).length,
      attachments,
      forwards: [],
      records: [],
      createdAt: CREATED,
    };
  });
  return { vms, capsules, networks };
}

const withProject = <T extends { project?: string }>(items: T[], project?: string) => (project ? items.filter((x) => x.project === project) : items);

/** The module to pass to createEngine, and resize() to change the fleet between measurements. */
export function benchFleet(size: FleetSize): { module: EngineModule; resize(size: FleetSize): void } {
  let fleet = buildFleet(size);
  const module: EngineModule = {
    name: 'bench-fleet',
    install(engine: Engine) {
      const d = engine.dispatcher;
      d.handle('vm.list', async (i) => ({ items: withProject(fleet.vms, i.project) }));
      d.handle('capsule.list', async (i) => ({ items: withProject(fleet.capsules, i.project) }));
      d.handle('network.list', async (i) => ({ items: withProject(fleet.networks, i.project) }));
      // The rows each real backend contributes to `resource.list`, derived from the same lists.
      engine.resources.provide('vm', async () =>
        fleet.vms.map((v): ResourceSummary => ({ kind: 'vm', name: v.name, state: v.state, project: PROJECT, detail: `${v.spec.cpu} vCPU · ${formatBytes(v.spec.memory)}` })),
      );
      engine.resources.provide('capsule', async () =>
        fleet.capsules.map((c): ResourceSummary => ({ kind: 'capsule', name: c.name, state: c.state, project: PROJECT, detail: `${c.image.ref} · ${c.runtime}` })),
      );
      engine.resources.provide('network', async () =>
        fleet.networks.map((n): ResourceSummary => ({ kind: 'network', name: n.name, state: n.state, project: PROJECT, detail: ['bridge', 'nat', n.subnet, `${n.attached} attached`].join(' · ') })),
      );
    },
  };
  return {
    module,
    resize(next) {
      fleet = buildFleet(next);
    },
  };
}
