import { describe, expect, it } from 'vitest';
import { compareNames } from './name-order.js';

describe('compareNames', () => {
  const sign = (n: number) => Math.sign(n);

  it('agrees with localeCompare on names of Nova\'s alphabet', () => {
    const alphabet = 'ab_-09xz';
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const word = () => Array.from({ length: rnd(6) }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let i = 0; i < 20_000; i++) {
      const a = word();
      const b = rnd(4) === 0 ? a + word() : word();
      expect(sign(compareNames(a, b)), `${a} vs ${b}`).toBe(sign(a.localeCompare(b)));
    }
    const names = ['vm', 'capsule', 'network', 'c10', 'c9', 'c1', 'a_1', 'a-1', 'a1', 'web', 'web-2', 'web_2', 'web2', ''];
    expect([...names].sort(compareNames)).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  });

  it('leaves other characters to localeCompare', () => {
    for (const [a, b] of [['Web', 'web'], ['é', 'f'], ['a.b', 'a-b'], ['A', '_']]) expect(sign(compareNames(a!, b!))).toBe(sign(a!.localeCompare(b!)));
  });
});
