// The cluster keys of a NovaFile (host / ha / [placement]): validation with line:column, where
// each item goes and why (planCluster, pure), and the part of the file one host applies.
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { validateNovafileText } from '../novafile/validate.js';
import { clusterItems, hostNovafile, planCluster } from './deploy-plan.js';
import type { Capacity, ClusterView, HostView, ItemRecord } from './placement.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const capacity = (memoryBytes: number, cpus: number): Capacity => ({ cpus, memoryTotalBytes: memoryBytes, memoryAvailableBytes: memoryBytes, allocatableMemoryBytes: memoryBytes, allocatableCpus: cpus, diskFreeBytes: 0, gpus: 0, networks: [], accelerator: 'kvm', at: 0 });
function view(hosts: { name: string; memory: number; cpus?: number; alive?: boolean; labels?: Record<string, string> }[], records: ItemRecord[] = []): ClusterView {
  const v: ClusterView = { hosts: new Map(), items: new Map() };
  for (const h of hosts) v.hosts.set(h.name, { name: h.name, alive: h.alive ?? true, info: { labels: h.labels ?? {}, member: true }, capacity: capacity(h.memory, h.cpus ?? 8), alloc: { items: {} }, allocRev: 1 } satisfies HostView);
  for (const r of records) {
    v.items.set(`${r.kind}/${r.name}`, { record: r, rev: 1 });
    v.hosts.get(r.host)!.alloc.items[`${r.kind}/${r.name}`] = { memoryBytes: r.memoryBytes, cpus: r.cpus };
  }
  return v;
}
const load = (text: string) => {
  const r = validateNovafileText(text, 'NovaFile');
  expect(r.errors).toEqual([]);
  return r.novafile!;
};
const record = (name: string, host: string, project = 'web', memoryBytes = 512 * MiB): ItemRecord => ({ kind: 'capsule', name, host, memoryBytes, cpus: 0, ha: false, reason: 'spread: …', placedAt: 0, moves: 0, project });

describe('NovaFile cluster keys', () => {
  it('validate host, ha and [placement] with line:column and a fix', () => {
    const text = [
      'project = "web"', // 1
      '[placement]', // 2
      'strategy = "fill"', // 3
      '[vm.db]', // 4
      'image = "/x.qcow2"', // 5
      'ha = true', // 6
      '[container.api]', // 7
      'capsule = "./rootfs"', // 8
      'ha = true', // 9
      'host = "Node_2"', // 10
      'volumes = ["./data:/data"]', // 11
      '[container.w]', // 12
      'capsule = "busybox"', // 13
      'placement = { require = { gpu = "x" }, spred = "x" }', // 14
    ].join('\n');
    const { errors } = validateNovafileText(text, 'NovaFile');
    const at = (path: string) => errors.find((e) => e.path === path);
    expect(at('placement.strategy')).toMatchObject({ line: 3, column: 1 });
    expect(at('container.api.host')).toMatchObject({ line: 10, message: expect.stringMatching(/cluster host name like "node2"/) });
    expect(at('container.w.placement.spred')).toMatchObject({ line: 14, message: 'unknown key `spred`' });
    expect(at('container.w.placement.spred')!.fix).toMatch(/allowed here: strategy, require/);
    // The rules between keys are checked on a file whose keys parse.
    const second = validateNovafileText(text.replace('"fill"', '"pack"').replace('"Node_2"', '"node2"').replace(', spred = "x"', ''), 'NovaFile').errors;
    expect(second.map((e) => [e.path, e.line, e.column])).toEqual([['vm.db.ha', 6, 1], ['container.api.capsule', 8, 1], ['container.api.ha', 9, 1], ['container.api.volumes.0', 11, 12]]);
    expect(second[0]!.message).toMatch(/ha = true: the cluster restarts this VM on another host .* needs restart = "always"/);
    expect(second[2]).toMatchObject({ message: expect.stringMatching(/needs restart = "always"/), fix: 'add restart = "always" to this container' });
  });

  it('ha = true on a VM: allowed with restart = "always" and absolute files; a relative file, passthrough or a value that is no boolean refused at its line:column', () => {
    const text = [
      '[vm.db]', // 1
      'restart = "always"', // 2
      'kernel = "/srv/shared/vmlinuz"', // 3
      'disks = [{ path = "/srv/shared/db.qcow2", size = "1Gi" }, "data.qcow2"]', // 4
      'ha = true', // 5
      '[vm.ok]', // 6
      'restart = "always"', // 7
      'disks = ["/srv/shared/ok.qcow2"]', // 8
      'ha = true', // 9
    ].join('\n');
    const { errors, novafile } = validateNovafileText(text, 'NovaFile');
    expect(errors.map((e) => [e.path, e.line, e.column])).toEqual([['vm.db.disks.1', 4, 59]]);
    expect(errors[0]).toMatchObject({ message: '"data.qcow2" is relative to this folder, which another host does not have (ha = true)', fix: expect.stringMatching(/shared storage/) });
    expect(validateNovafileText(text.replace(', "data.qcow2"', ''), 'NovaFile').errors).toEqual([]);
    const items = clusterItems(validateNovafileText(text.replace(', "data.qcow2"', ''), 'NovaFile').novafile!);
    expect(items.find((i) => i.name === 'ok')).toMatchObject({ kind: 'vm', ha: true, vm: { disks: ['/srv/shared/ok.qcow2'], restart: 'always' } });
    expect(items.find((i) => i.name === 'ok')!.vm).not.toHaveProperty('ha');
    expect(novafile).toBeUndefined();
    const bad = validateNovafileText(text.replace('ha = true', 'ha = "yes"'), 'NovaFile').errors;
    expect(bad.map((e) => [e.path, e.line, e.column])).toEqual([['vm.db.ha', 5, 1]]);
    expect(bad[0]!.message).toMatch(/boolean/);
  });

  it('20 items with host = "auto" onto limited capacity: the plan books them one after another, refuses the rest with every host\'s reason', () => {
    const items = Array.from({ length: 20 }, (_, i) => `[container.c${i}]\ncapsule = "busybox"\nlimits = { memory = "512Mi" }\n`).join('');
    const rows = planCluster(view([{ name: 'h1', memory: 2 * GiB }, { name: 'h2', memory: 2 * GiB }, { name: 'h3', memory: 1 * GiB, alive: false }]), 'web', clusterItems(load(`project = "web"\n${items}`)));
    const placed = rows.filter((r) => r.action === 'place');
    expect(placed).toHaveLength(8);
    expect(placed.filter((r) => r.host === 'h1')).toHaveLength(4);
    expect(placed[0]!.reason).toMatch(/^spread: the host with the most free memory \(2\.0 GiB and 8 CPUs free before; 2 of 3 hosts fit\)$/);
    // Spread alternates: the second goes to the emptier host.
    expect(placed.slice(0, 2).map((r) => r.host)).toEqual(['h1', 'h2']);
    const refused = rows.filter((r) => r.action === 'refused');
    expect(refused).toHaveLength(12);
    expect(refused[0]!.reason).toBe('no host can take capsule/c8 (512 MiB, 0 CPUs): h1: 0 B and 8 CPUs free of 2.0 GiB/8; h2: 0 B and 8 CPUs free of 2.0 GiB/8; h3: down (no alive key: its lease expired or it left)');
  });

  it('pins, labels, pack, keep, move and release, each with its reason', () => {
    const nf = load([
      'project = "web"',
      '[placement]',
      'strategy = "pack"',
      '[vm.game]',
      'image = "/g.qcow2"',
      'memory = "1Gi"',
      'placement = { require = { gpu = "rtx-4090" } }',
      '[container.db]',
      'capsule = "busybox"',
      'host = "h2"',
      '[container.api]',
      'capsule = "busybox"',
      'limits = { memory = "512Mi" }',
      '[container.cache]',
      'capsule = "busybox"',
      'host = "h1"',
      '[container.x]',
      'capsule = "busybox"',
    ].join('\n'));
    const v = view([{ name: 'h1', memory: 4 * GiB }, { name: 'h2', memory: 4 * GiB, labels: { gpu: 'rtx-4090' } }], [
      record('api', 'h1'), record('cache', 'h2', 'web', 128 * MiB), record('old', 'h1'), record('x', 'h1', 'other', 128 * MiB),
    ]);
    const rows = planCluster(v, 'web', clusterItems(nf));
    const by = (name: string) => rows.find((r) => r.name === name)!;
    expect(by('old')).toMatchObject({ action: 'release', host: 'h1' });
    expect(by('game')).toMatchObject({ action: 'place', host: 'h2' });
    expect(by('game').reason).toMatch(/^pack: the fullest host it still fits on, has gpu=rtx-4090/);
    expect(by('db')).toMatchObject({ action: 'place', host: 'h2' });
    expect(by('db').reason).toMatch(/^pinned to h2/);
    expect(by('api')).toMatchObject({ action: 'keep', host: 'h1' });
    expect(by('cache')).toMatchObject({ action: 'move', host: 'h1' });
    expect(by('cache').reason).toMatch(/^moved from h2 \(pinned to h1 now\): pinned to h1/);
    expect(by('x')).toMatchObject({ action: 'refused' });
    expect(by('x').reason).toMatch(/placed on h1 by project other/);
    // The plan never books past a host's capacity, nor touches the view it was given.
    expect(Object.keys(v.hosts.get('h1')!.alloc.items).sort()).toEqual(['capsule/api', 'capsule/old', 'capsule/x']);
  });

  it('a host applies only its items, the networks they attach to, and no cluster keys', () => {
    const text = [
      'project = "web"', '[placement]', 'strategy = "pack"',
      '[network.lan]', 'subnet = "10.9.0.1/24"', '[network.other]',
      '[container.api]', 'capsule = "busybox"', 'network = "lan"', 'host = "h1"',
      '[container.db]', 'capsule = "busybox"', 'ha = true', 'restart = "always"',
    ].join('\n');
    const part = parse(hostNovafile(text, 'web', ['capsule/api'])) as Record<string, unknown>;
    expect(part).toEqual({ project: 'web', network: { lan: { subnet: '10.9.0.1/24' } }, container: { api: { capsule: 'busybox', network: 'lan' } } });
    expect(parse(hostNovafile(text, 'web', []))).toEqual({ project: 'web' });
    expect(validateNovafileText(hostNovafile(text, 'web', ['capsule/api']), 'NovaFile').errors).toEqual([]);
  });
});
