import { describe, expect, it } from 'vitest';
import { detachPlan, switchUsers } from './networkRemoval';
import type { OwnerFacts } from './networkRemoval';

const att = (kind: 'vm' | 'capsule', name: string, attached = true, carrier = true) => ({ owner: { kind, name }, ifname: `nv-${name}`, mac: '52:54:00:00:00:01', attached, ...(attached ? { carrier } : {}) });

describe('removing a switch that is in use', () => {
  const facts: Record<string, OwnerFacts | undefined> = {
    'vm:extra': { state: 'running' },
    'vm:parked': { state: 'stopped' },
    'vm:first': { state: 'running', defined: 'lab' },
    'capsule:web': { state: 'running', defined: 'other' },
  };
  const users = switchUsers(
    { name: 'lab', attachments: [att('vm', 'extra'), att('vm', 'parked', true, false), att('vm', 'first'), att('capsule', 'web'), att('vm', 'gone', false)] },
    (o) => facts[`${o.kind}:${o.name}`],
  );

  it('says how each user lets go: a VM NIC is unplugged, a capsule link or a leftover removed, a definition only by its owner', () => {
    expect(users.map((u) => [u.owner.name, u.how, u.link])).toEqual([
      ['extra', 'vm.nic.detach', 'connected'],
      ['parked', 'vm.nic.detach', 'no carrier'],
      ['first', 'definition', 'connected'],
      ['web', 'network.detach', 'connected'],
      ['gone', 'network.detach', 'link gone'],
    ]);
    expect(users[0]!.note).toMatch(/unplugged from the running VM/);
    expect(users[2]!.note).toMatch(/definition puts it on lab.*nova vm update/);
    expect(users[4]!.note).toMatch(/no longer exists/);
  });

  it('detach-and-remove is offered unless a live user has the switch in its definition (then only force)', () => {
    expect(detachPlan(users)).toMatchObject({ canDetach: false, blockers: [expect.objectContaining({ owner: { kind: 'vm', name: 'first' } })] });
    expect(detachPlan(users.filter((u) => u.owner.name !== 'first')).canDetach).toBe(true);
    // A definition whose link is already gone does not block: network.rm does not count it.
    const stale = switchUsers({ name: 'lab', attachments: [att('vm', 'first', false)] }, (o) => facts[`${o.kind}:${o.name}`]);
    expect(detachPlan(stale).canDetach).toBe(true);
  });
});
