import { describe, expect, it } from 'vitest';
import { plainText } from './LogPane';

describe('serial and capsule log text', () => {
  it('drops colour codes, cursor moves, OSC titles and stray control characters, keeps the words', () => {
    expect(plainText('\x1b[0;32m[  OK  ]\x1b[0m Started \x1b[1mjournald\x1b[0m.')).toBe('[  OK  ] Started journald.');
    expect(plainText('\x1b]0;root@guest: ~\x07$ ls\r')).toBe('$ ls');
    expect(plainText('\x1b[2J\x1b[Hboot: \x1b[?25l')).toBe('boot: ');
    expect(plainText('tab\tstays')).toBe('tab\tstays');
  });
});
