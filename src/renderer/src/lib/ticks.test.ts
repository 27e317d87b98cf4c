import { describe, expect, it } from 'vitest';
import { axisBytes } from './format';
import { byteTicks } from './ticks';

const GiB = 1024 ** 3;

describe('byteTicks', () => {
  it('steps in powers of two that read as round sizes, ending at or above the maximum', () => {
    expect(byteTicks(7.8 * GiB).map(axisBytes)).toEqual(['0 B', '2 GiB', '4 GiB', '6 GiB', '8 GiB']);
    expect(byteTicks(16 * GiB).map(axisBytes)).toEqual(['0 B', '4 GiB', '8 GiB', '12 GiB', '16 GiB']);
    expect(byteTicks(192 * 1024 ** 2).map(axisBytes)).toEqual(['0 B', '64 MiB', '128 MiB', '192 MiB']);
    expect(byteTicks(0)).toEqual([0]);
  });
});
