import { describe, expect, it } from 'vitest';
import { Reverter, withReverter } from './reverter.js';

describe('Reverter', () => {
  it('undoes completed steps newest first when a later step fails', async () => {
    const host: string[] = [];
    await expect(
      withReverter(async (r) => {
        host.push('bridge');
        r.add(() => void host.splice(host.indexOf('bridge'), 1), 'bridge');
        host.push('nat');
        r.add(() => void host.splice(host.indexOf('nat'), 1), 'nat');
        throw new Error('dnsmasq failed');
      }),
    ).rejects.toThrow('dnsmasq failed');
    expect(host).toEqual([]);
  });

  it('keeps every change on success', async () => {
    const host: string[] = [];
    const v = await withReverter(async (r) => {
      host.push('bridge');
      r.add(() => void host.pop());
      return 42;
    });
    expect(v).toBe(42);
    expect(host).toEqual(['bridge']);
  });

  it('keeps undoing after one undo fails and reports it', async () => {
    const order: string[] = [];
    const r = new Reverter();
    r.add(() => void order.push('first'));
    r.add(() => {
      throw new Error('busy');
    }, 'second');
    r.add(() => void order.push('third'));
    await r.fail();
    expect(order).toEqual(['third', 'first']);
    expect(r.undoErrors.map((e) => e.label)).toEqual(['second']);
    await r.fail(); // idempotent
    expect(order).toEqual(['third', 'first']);
  });
});
