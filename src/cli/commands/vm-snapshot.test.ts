import { describe, expect, it } from 'vitest';
import { chainTree } from './vm-snapshot.js';

describe('nova snapshot ls vm: the external-snapshot chain', () => {
  const layer = (file: string, extra: Record<string, unknown> = {}) => ({ file, format: 'qcow2', sizeBytes: 2 * 1024 * 1024, virtualSize: 16 * 1024 * 1024, current: false, snapshots: [], ...extra });

  it('draws each disk base first, the overlays indented, the current one starred, internal snapshots under their layer', () => {
    const tree = chainTree([
      {
        node: 'disk0',
        layers: [
          layer('/d/base.qcow2', { snapshots: [{ tag: 'before', vmStateSize: 0, date: 1_780_000_000 }] }),
          layer('/v/disk0-ext1.qcow2', { externalTag: 'ext1', createdAt: 1_780_000_100_000, snapshots: [{ tag: 'live', vmStateSize: 64 * 1024 * 1024, date: 1_780_000_200 }] }),
          layer('/v/disk0-ext2.qcow2', { externalTag: 'ext2', current: true }),
        ],
      },
      { node: 'disk1', layers: [layer('/d/data.qcow2', { current: true })] },
    ]).split('\n');
    expect(tree).toEqual([
      '',
      'disk0 chain:',
      'base  /d/base.qcow2  2.0 MiB',
      '  · before  2026-05-28 20:26:40  disk only',
      '  └ external ext1  /v/disk0-ext1.qcow2  2.0 MiB  2026-05-28 20:28:20',
      '    · live  2026-05-28 20:30:00  RAM 64 MiB',
      '    └ * external ext2  /v/disk0-ext2.qcow2  2.0 MiB  (current)',
    ]);
    expect(chainTree([{ node: 'disk0', layers: [layer('/d/base.qcow2', { current: true })] }])).toBe(''); // no external snapshot: nothing to draw
  });
});
