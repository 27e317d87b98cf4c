// Who keeps a VM after a cross-host migration was interrupted at each step (kill -9 anywhere),
// and how progress reads. The real moves are in src/test/xmigrate.host.test.ts.
import { describe, expect, it } from 'vitest';
import { progressLine, whoKeeps } from './xmigrate.js';

const none = { defined: false, incoming: false };
const waiting = { defined: true, incoming: true, qmpStatus: 'inmigrate' };
const running = { defined: true, incoming: true, qmpStatus: 'running' };
const owned = { defined: true, incoming: false, qmpStatus: 'running' };

describe('whoKeeps', () => {
  it.each([
    ['preparing', 'running', none, 'source'], // killed before the target answered
    ['preparing', 'running', waiting, 'source'], // target defined, nothing sent
    ['sending', 'running', waiting, 'source'], // mid-mirror or mid-RAM
    ['sending', 'paused', waiting, 'source'], // paused at pre-switchover
    ['sending', 'postmigrate', running, 'target'], // switched, journal not updated yet
    ['switched', 'postmigrate', waiting, 'target'], // target still loading the last pages
    ['switched', 'postmigrate', running, 'target'],
    ['committed', 'postmigrate', owned, 'target'], // committed, not released
    ['committed', 'undefined', owned, 'target'], // released, journal left
    ['switched', 'postmigrate', none, 'missing'], // the target lost it: touch nothing
    ['sending', 'running', owned, 'source'], // a VM of that name there that is not this attempt's
    ['switched', 'postmigrate', { defined: true, incoming: true, resumed: false, exited: true }, 'source'], // its QEMU exited before the guest ran there: resume here
    ['switched', 'postmigrate', { defined: true, incoming: true, qmpStatus: 'inmigrate', resumed: false, exited: false }, 'source'], // never finished loading (the source resumes after cancel)
    ['switched', 'postmigrate', { defined: true, incoming: true, qmpStatus: 'paused', resumed: false, exited: false }, 'target'], // whole there, paused by -S: commit resumes it
    ['switched', 'postmigrate', { defined: true, incoming: true, resumed: true, exited: true }, 'target'], // it ran there, then died: never resumed here
    ['committed', 'postmigrate', { defined: true, incoming: false, resumed: false }, 'target'],
    ['sending', 'running', { defined: true, incoming: true, qmpStatus: 'inmigrate', resumed: false, exited: false }, 'source'],
  ] as const)('phase %s, source %s, target %j → %s', (phase, here, there, who) => {
    expect(whoKeeps(phase, here, there)).toBe(who);
  });
});

describe('progressLine', () => {
  it('maps the mirror to the first half and RAM to the second, with rate and expected downtime', () => {
    expect(progressLine({ phase: 'mirror', done: 32, total: 64 })).toMatchObject({ fraction: 0.25 });
    const ram = progressLine({ phase: 'ram', done: 1, total: 2, rate: 2 ** 20, expectedDowntimeMs: 30 });
    expect(ram.fraction).toBeCloseTo(0.74);
    expect(ram.message).toMatch(/RAM .* of .* at 1(\.0)? MiB\/s, expected downtime 30 ms/);
  });
});
