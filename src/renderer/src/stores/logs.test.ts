import { describe, expect, it } from 'vitest';
import { logKey, useLogs } from './logs';

const line = (at: number, text: string) => ({ kind: 'capsule' as const, name: 'web', stream: 'stdout' as const, at, line: text });

describe('log store', () => {
  it('history and streamed lines merge without duplicates, in order', () => {
    const key = logKey('capsule', 'web');
    useLogs.getState().add(line(1, 'tick 0')); // streamed before the history answer
    useLogs.getState().add(line(3, 'tick 2')); // streamed, newer than the history
    useLogs.getState().replace(key, [line(1, 'tick 0'), line(2, 'tick 1')]);
    useLogs.getState().add(line(2, 'tick 1')); // the same line arriving late as an event
    useLogs.getState().add(line(4, 'tick 3'));
    expect(useLogs.getState().lines[key]!.map((l) => l.line)).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3']);
  });
});
