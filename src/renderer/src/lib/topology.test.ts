import { describe, expect, it } from 'vitest';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { attachFromConnection, layoutTopology, MAX_ROWS, planAttach } from './topology';

const r = (kind: ResourceSummary['kind'], name: string, state = 'running'): ResourceSummary => ({ kind, name, state });

describe('topology layout', () => {
  it('draws a node per resource and uplink and an edge per attachment', () => {
    const res = [r('network', 'lab0', 'Active'), r('network', 'ext0', 'Degraded'), r('vm', 'web'), r('capsule', 'db')];
    const { nodes, edges } = layoutTopology(res, [
      { name: 'lab0', attachments: [{ kind: 'vm', name: 'web' }, { kind: 'capsule', name: 'db' }] },
      { name: 'ext0', uplink: 'enp6s0', attachments: [{ kind: 'vm', name: 'gone' }] },
    ]);
    expect(nodes.map((n) => n.id).sort()).toEqual(['capsule:db', 'network:ext0', 'network:lab0', 'uplink:enp6s0', 'vm:web']);
    expect(edges.map((e) => e.id).sort()).toEqual(['att:capsule:db->lab0', 'att:vm:web->lab0', 'up:enp6s0->ext0']);
    expect(edges.find((e) => e.id.startsWith('up:'))!.deletable).toBe(false);
    // Columns: uplinks left of networks left of instances.
    const x = (id: string) => nodes.find((n) => n.id === id)!.position.x;
    expect(x('uplink:enp6s0')).toBeLessThan(x('network:lab0'));
    expect(x('network:lab0')).toBeLessThan(x('vm:web'));
  });

  it('300 resources get distinct positions, instances wrapping into columns', () => {
    const res = [...Array.from({ length: 20 }, (_, i) => r('network', `n${i}`)), ...Array.from({ length: 280 }, (_, i) => r(i % 2 ? 'vm' : 'capsule', `i${i}`))];
    const { nodes } = layoutTopology(res, []);
    expect(nodes).toHaveLength(300);
    expect(new Set(nodes.map((n) => `${n.position.x},${n.position.y}`)).size).toBe(300);
    expect(Math.max(...nodes.map((n) => n.position.y))).toBeLessThan(MAX_ROWS * 70 * 1.5 * 2);
  });

  it('only instance → network drags are attaches', () => {
    expect(attachFromConnection('vm:web', 'network:lab0')).toEqual({ network: 'lab0', owner: { kind: 'vm', name: 'web' } });
    expect(attachFromConnection('network:lab0', 'vm:web')).toBeUndefined();
    expect(attachFromConnection('uplink:eth0', 'network:lab0')).toBeUndefined();
    expect(attachFromConnection(null, 'network:lab0')).toBeUndefined();
  });

  it('a link without carrier is drawn dashed and says "applies at next start" for a VM', () => {
    const { edges } = layoutTopology([r('network', 'lab0'), r('vm', 'web', 'stopped'), r('capsule', 'db')], [
      { name: 'lab0', attachments: [{ kind: 'vm', name: 'web' }, { kind: 'capsule', name: 'db' }], noCarrier: ['vm:web'] },
    ]);
    expect(edges.find((e) => e.id === 'att:vm:web->lab0')).toMatchObject({ label: 'applies at next start', className: 'topo-edge-pending', data: { pending: true } });
    expect(edges.find((e) => e.id === 'att:capsule:db->lab0')!.label).toBeUndefined();
  });

  it('plans a drag: a VM through vm.nic.attach; a running capsule into its own netns under a free ethN; a stopped one refused', () => {
    const a = (kind: 'vm' | 'capsule') => ({ network: 'lab0', owner: { kind, name: 'x' } });
    expect(planAttach(a('vm'))).toEqual({ method: 'vm.nic.attach', input: { name: 'x', network: 'lab0', ports: [] } });
    // The bug this replaces: network.attach of a capsule without its netns always failed.
    expect(planAttach(a('capsule'), { state: 'running', pid: 42 })).toEqual({
      method: 'network.attach', input: { network: 'lab0', owner: { kind: 'capsule', name: 'x' }, netns: '/proc/42/ns/net', peer: 'eth0', ports: [] },
    });
    expect(planAttach(a('capsule'), { state: 'running', pid: 42, network: { name: 'other', netns: '/run/netns/abc' } }, 1)).toMatchObject({ input: { netns: '/run/netns/abc', peer: 'eth2' } });
    expect(planAttach(a('capsule'), { state: 'running', pid: 42, network: { name: 'pasta', netns: '' } })).toMatchObject({ input: { netns: '/proc/42/ns/net', peer: 'eth1' } });
    expect(planAttach(a('capsule'), { state: 'stopped' })).toEqual({ refuse: expect.stringContaining('not running') });
    expect(planAttach(a('capsule'), { state: 'running', pid: 1, network: { name: 'lab0', netns: '/run/netns/n' } })).toEqual({ refuse: expect.stringContaining('already on lab0') });
  });
});
