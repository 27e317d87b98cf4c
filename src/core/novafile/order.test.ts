import { describe, expect, it } from 'vitest';
import { closure, runGraph, topoOrder } from './order.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('dependency order', () => {
  it('closes a selection over what it needs', () => {
    const nodes = [{ id: 'network/a', needs: [] }, { id: 'image/x', needs: [] }, { id: 'capsule/c', needs: ['network/a', 'image/x'] }, { id: 'vm/v', needs: [] }];
    expect([...closure(nodes, ['capsule/c'])].sort()).toEqual(['capsule/c', 'image/x', 'network/a']);
    expect(topoOrder([{ id: 'b', needs: ['a'] }, { id: 'a', needs: [] }])).toEqual(['a', 'b']);
    expect(() => topoOrder([{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }])).toThrow(/cycle: a → b → a/);
  });

  it('starts items only after their needs, at most `parallel` at once', async () => {
    const nodes = [
      { id: 'net', needs: [] },
      ...Array.from({ length: 6 }, (_, i) => ({ id: `c${i}`, needs: ['net'] })),
    ];
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    const results = await runGraph(nodes, 3, async (id) => {
      running++;
      peak = Math.max(peak, running);
      log.push(`start ${id}`);
      await tick();
      log.push(`end ${id}`);
      running--;
    });
    expect(log.indexOf('end net')).toBeLessThan(log.indexOf('start c0'));
    expect(peak).toBe(3);
    expect([...results.values()].every((r) => r.status === 'done')).toBe(true);
  });

  it('skips what depends on a failure (transitively) and finishes the rest', async () => {
    const nodes = [{ id: 'c', needs: ['b'] }, { id: 'b', needs: ['a'] }, { id: 'a', needs: [] }, { id: 'x', needs: [] }];
    const ran: string[] = [];
    const results = await runGraph(nodes, 2, async (id) => {
      ran.push(id);
      if (id === 'a') throw new Error('boom');
    });
    expect(results.get('a')).toMatchObject({ status: 'failed' });
    expect(results.get('b')).toEqual({ status: 'skipped', because: 'a failed' });
    expect(results.get('c')).toEqual({ status: 'skipped', because: 'b skipped' });
    expect(results.get('x')).toEqual({ status: 'done' });
    expect(ran.sort()).toEqual(['a', 'x']);
  });
});
