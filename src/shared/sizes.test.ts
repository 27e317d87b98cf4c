import { describe, expect, it } from 'vitest';
import { formatBytes, parseSize } from './sizes.js';

describe('sizes', () => {
  it.each([
    ['16Gi', 16 * 1024 ** 3],
    ['512Mi', 512 * 1024 ** 2],
    ['2G', 2e9],
    ['1T', 1e12],
    ['1.5Gi', 1.5 * 1024 ** 3],
    [4096, 4096],
    ['64', 64],
  ])('%s', (input, bytes) => expect(parseSize(input)).toBe(bytes));

  it.each(['16 Gigs', 'lots', '-1G', '', '1e9'])('rejects %j', (input) => expect(parseSize(input)).toBeUndefined());

  it('formats for humans', () => {
    expect(formatBytes(16 * 1024 ** 3)).toBe('16 GiB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB');
  });
});
