import { describe, expect, it } from 'vitest';
import type { ResourceSummary } from '../../../shared/contract/resource.js';
import { attachFromConnection, layoutTopology, MAX_ROWS } from './topology';

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
});
