import { describe, expect, it } from 'vitest';
import { axisBytes } from './format';
import { axisTicks, byteTicks, niceTicks } from './ticks';

const GiB = 1024 ** 3;

describe('byteTicks', () => {
  it('steps in powers of two that read as round sizes, ending at or above the maximum', () => {
    expect(byteTicks(7.8 * GiB).map(axisBytes)).toEqual(['0 B', '2 GiB', '4 GiB', '6 GiB', '8 GiB']);
    expect(byteTicks(16 * GiB).map(axisBytes)).toEqual(['0 B', '4 GiB', '8 GiB', '12 GiB', '16 GiB']);
    expect(byteTicks(192 * 1024 ** 2).map(axisBytes)).toEqual(['0 B', '64 MiB', '128 MiB', '192 MiB']);
    expect(byteTicks(0)).toEqual([0]);
  });
});

describe('niceTicks and axisTicks', () => {
  it('steps of 1, 2, 2.5 or 5 × 10ⁿ, ending at or above the maximum, at most 4 intervals', () => {
    expect(niceTicks(36)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(100)).toEqual([0, 25, 50, 75, 100]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(1)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
  it('counts step by whole numbers', () => {
    expect(niceTicks(2, true)).toEqual([0, 1, 2]);
    expect(niceTicks(1, true)).toEqual([0, 1]);
    expect(niceTicks(3, true)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(9, true)).toEqual([0, 3, 6, 9]);
    expect(niceTicks(36, true)).toEqual([0, 10, 20, 30, 40]);
    expect(axisTicks(2, false, true)).toEqual([0, 1, 2]);
  });
  it('a flat zero series still gets an axis', () => {
    expect(axisTicks(0, false)).toEqual([0, 1]);
    expect(axisTicks(0, true)).toEqual([0, 1024]);
    expect(axisTicks(3 * 1024 ** 2, true)).toEqual(byteTicks(3 * 1024 ** 2));
  });
});
